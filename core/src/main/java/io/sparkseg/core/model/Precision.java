package io.sparkseg.core.model;

import java.util.Locale;

/**
 * The floating-point precision the model runs in: {@link #FP32} is the bundle's model file itself; {@link #FP16}
 * and {@link #BF16} are reduced-precision variants the bundle declares in model.json's {@code precisions}, made by
 * {@code python3 -m sparkseg_models.precision}. In a variant only the convolution towers (backbone, mask head,
 * keypoint head) run in the low precision; boxes, scores and mask probabilities leave the model in float32.
 */
public enum Precision {
  FP32,
  FP16,
  BF16;

  /** The name in settings and in model.json: {@code fp32}, {@code fp16}, {@code bf16}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code fp32}, {@code fp16} or {@code bf16} (any case, blanks around allowed). */
  public static Precision parse(String value) {
    if (value != null) {
      for (Precision p : values()) {
        if (p.id().equals(value.trim().toLowerCase(Locale.ROOT))) {
          return p;
        }
      }
    }
    throw new IllegalArgumentException("precision must be fp32, fp16 or bf16, got '" + value + "'");
  }
}
