package io.sparkseg.core.model;

import java.util.Locale;

/**
 * Whether the model's mask and keypoint heads also run on the mirrored image (flip test-time
 * augmentation: better masks and keypoints for a second backbone pass, cost in README "Figures"):
 * {@link #AUTO} keeps what the bundle does by default ({@code test_time.flip}),
 * {@link #ON} and {@link #OFF} override it, which needs a bundle that takes the optional
 * {@code flip} input ({@link ModelBundle#flipSwitchable()}).
 */
public enum FlipTest {
  AUTO,
  ON,
  OFF;

  /** Parses {@code auto}, {@code on} or {@code off} (any case). */
  public static FlipTest parse(String value) {
    if (value != null) {
      for (FlipTest f : values()) {
        if (f.name().equalsIgnoreCase(value.trim())) {
          return f;
        }
      }
    }
    throw new IllegalArgumentException("flip test must be auto, on or off, got '" + value + "'");
  }

  /** Whether a model of {@code bundle} run with this setting flips. */
  public boolean flips(ModelBundle bundle) {
    return this == AUTO ? bundle.flipByDefault() : this == ON;
  }

  /**
   * The value for the model's optional {@code flip} input, or null to leave the input out (the
   * bundle's default).
   *
   * @throws InvalidBundleException when the setting asks for something the bundle cannot do
   */
  public Boolean input(ModelBundle bundle) {
    if (this == AUTO || flips(bundle) == bundle.flipByDefault() && !bundle.flipSwitchable()) {
      return null;
    }
    if (!bundle.flipSwitchable()) {
      throw new InvalidBundleException("model bundle " + bundle.directory() + " (" + bundle.name() + " "
          + bundle.version() + ") cannot switch flip test-time augmentation " + name().toLowerCase(Locale.ROOT)
          + ": its model takes no 'flip' input (input.optional_inputs); re-export it with "
          + "`python3 -m sparkseg_models.export rebundle` (models/README.md)");
    }
    return flips(bundle);
  }
}
