package io.sparkseg.job.segment;

import io.sparkseg.core.result.Instance;
import java.util.List;

/**
 * What happened to one input image: its status ({@link ImageStatus}), the error message when it
 * failed, its size when known, its share of the forward pass, and its instances (empty unless
 * the status is ok).
 */
public record ImageOutcome(String status, String error, Integer width, Integer height, Double inferenceMs,
    List<Instance> instances) {

  /** A failure before inference (read, decode), with the size when the header gave one. */
  public static ImageOutcome failed(String status, String error, Integer width, Integer height) {
    return new ImageOutcome(status, error, width, height, null, List.of());
  }

  public boolean ok() {
    return ImageStatus.OK.equals(status);
  }
}
