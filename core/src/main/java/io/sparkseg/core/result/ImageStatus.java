package io.sparkseg.core.result;

import java.util.Locale;

/**
 * What happened to one input image: the values of the images table's {@code status} column
 * ({@link #code()}, e.g. {@code decode_error}). The decoder gives the first four; reading, the
 * input's path check and inference give the others.
 */
public enum ImageStatus {
  /** Decoded (and, after inference, segmented). */
  OK,
  /** Zero bytes, not an image, corrupt or truncated data. */
  DECODE_ERROR,
  /**
   * The file has more bytes than allowed (refused from its status, before reading), or the header
   * declares more pixels than allowed (refused before any pixel was decoded).
   */
  TOO_LARGE,
  /** A recognised image format (or format variant) that no installed reader can decode. */
  UNSUPPORTED,
  /** The file was gone when the task read it (or the input value was null). */
  MISSING,
  /** Any other failure to read the file. */
  READ_ERROR,
  /**
   * The input named the file outside the folder it must be in (an absolute name, or one that
   * climbs out with {@code ..}); nothing of it was read.
   */
  REFUSED_PATH,
  /** The model failed on this image. */
  INFERENCE_ERROR;

  /** The status as written to output tables, e.g. {@code decode_error}. */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }
}
