package io.sparkseg.job.executor;

import io.sparkseg.core.result.ImageStatus;
import io.sparkseg.core.result.Instance;
import java.util.List;

/**
 * What happened to one input image: its status ({@link ImageStatus}), the error message when it
 * failed, its size when known, its share of the forward pass, and its instances (empty unless
 * the status is ok).
 */
public record ImageOutcome(ImageStatus status, String error, Integer width, Integer height, Double inferenceMs,
    List<Instance> instances) {

  /** A failure before inference (read, decode), with the size when the header gave one. */
  public static ImageOutcome failed(ImageStatus status, String error, Integer width, Integer height) {
    return new ImageOutcome(status, error, width, height, null, List.of());
  }

  public boolean ok() {
    return status == ImageStatus.OK;
  }
}
