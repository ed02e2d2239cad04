package io.sparkseg.job.executor;

import io.sparkseg.core.result.ImageStatus;
import io.sparkseg.core.result.Instance;
import io.sparkseg.job.fs.FileIdentity;
import io.sparkseg.job.secrets.Secrets;
import java.util.List;

/**
 * What happened to one input image: its status ({@link ImageStatus}), the error message when it
 * failed, its size when known, its share of the forward pass, its instances (empty unless
 * the status is ok) and the identity of the file it was read from (null when unknown). The error is
 * redacted ({@link Secrets#redact}): a file system's message may quote a URI's login or a secret.
 */
public record ImageOutcome(ImageStatus status, String error, Integer width, Integer height, Double inferenceMs,
    List<Instance> instances, FileIdentity file) {

  public ImageOutcome {
    error = Secrets.redact(error);
  }

  public ImageOutcome(ImageStatus status, String error, Integer width, Integer height, Double inferenceMs,
      List<Instance> instances) {
    this(status, error, width, height, inferenceMs, instances, null);
  }

  /** The same outcome for an image read from {@code file}. */
  public ImageOutcome withFile(FileIdentity file) {
    return new ImageOutcome(status, error, width, height, inferenceMs, instances, file);
  }

  /** A failure before inference (read, decode), with the size when the header gave one. */
  public static ImageOutcome failed(ImageStatus status, String error, Integer width, Integer height) {
    return new ImageOutcome(status, error, width, height, null, List.of());
  }

  public boolean ok() {
    return status == ImageStatus.OK;
  }
}
