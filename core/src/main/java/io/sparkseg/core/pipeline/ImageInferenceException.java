package io.sparkseg.core.pipeline;

/**
 * The model failed on one image run alone (a batch of one), for a reason that is not a
 * {@link ResourceFailure}: the image's own failure, to be reported as its outcome. Any other
 * failure an {@link InferenceBatcher} future completes with is not the image's.
 */
public final class ImageInferenceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ImageInferenceException(Throwable cause) {
    super(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
  }
}
