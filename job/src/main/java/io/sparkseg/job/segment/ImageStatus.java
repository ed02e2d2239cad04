package io.sparkseg.job.segment;

/**
 * Values of the images table's {@code status} column. Besides the decoder's outcomes
 * ({@code ok}, {@code decode_error}, {@code too_large}, {@code unsupported}) there are
 * {@code missing} (the file was gone when the task read it), {@code read_error} (any other I/O
 * failure) and {@code inference_error} (the model failed on this image).
 */
public final class ImageStatus {
  public static final String OK = "ok";
  public static final String DECODE_ERROR = "decode_error";
  public static final String TOO_LARGE = "too_large";
  public static final String UNSUPPORTED = "unsupported";
  public static final String MISSING = "missing";
  public static final String READ_ERROR = "read_error";
  public static final String INFERENCE_ERROR = "inference_error";

  private ImageStatus() {}
}
