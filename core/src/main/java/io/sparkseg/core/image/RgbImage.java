package io.sparkseg.core.image;

import java.util.Objects;

/**
 * A decoded image as 8-bit RGB, interleaved row-major ({@code rgb[(y*width + x)*3 + c]}).
 * The common currency between decoding and the model: every decoder produces it, every
 * predictor consumes it.
 */
public final class RgbImage {
  private final int width;
  private final int height;
  private final byte[] rgb;

  public RgbImage(int width, int height, byte[] rgb) {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
    }
    Objects.requireNonNull(rgb, "rgb");
    if (rgb.length != width * height * 3L) {
      throw new IllegalArgumentException(
          "rgb buffer has " + rgb.length + " bytes, expected " + (width * height * 3L));
    }
    this.width = width;
    this.height = height;
    this.rgb = rgb;
  }

  public int width() {
    return width;
  }

  public int height() {
    return height;
  }

  /** The interleaved RGB bytes; not copied, callers must not modify them. */
  public byte[] rgb() {
    return rgb;
  }
}
