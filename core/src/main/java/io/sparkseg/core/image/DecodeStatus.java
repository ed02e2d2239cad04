package io.sparkseg.core.image;

import java.util.Locale;

/**
 * Outcome of decoding one image's bytes. {@link #code()} is the lower-case value written to the
 * {@code status} column of the images table.
 */
public enum DecodeStatus {
  /** Decoded to an {@link RgbImage}. */
  OK,
  /** Zero bytes, not an image, corrupt or truncated data. */
  DECODE_ERROR,
  /** The header declares more pixels than allowed; refused before any pixel was decoded. */
  TOO_LARGE,
  /** A recognised image format (or format variant) that no installed reader can decode. */
  UNSUPPORTED;

  /** The status as written to output tables, e.g. {@code decode_error}. */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }
}
