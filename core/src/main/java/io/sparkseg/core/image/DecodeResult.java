package io.sparkseg.core.image;

import io.sparkseg.core.result.ImageStatus;
import java.util.Objects;

/**
 * The result of {@link ImageDecoder#decode}: a status, a human-readable message for failures, the
 * decoded image when the status is {@link ImageStatus#OK}, and the header's dimensions when they
 * could be read (-1 otherwise). Width and height are after EXIF orientation is applied.
 *
 * @param format the image format name reported by the reader ("jpeg", "png", ...) or null
 */
public record DecodeResult(
    ImageStatus status, String message, RgbImage image, int width, int height, String format) {

  public DecodeResult {
    Objects.requireNonNull(status, "status");
    if (status == ImageStatus.OK && image == null) {
      throw new IllegalArgumentException("an OK result needs an image");
    }
  }

  static DecodeResult ok(RgbImage image, String format) {
    return new DecodeResult(ImageStatus.OK, null, image, image.width(), image.height(), format);
  }

  static DecodeResult failed(ImageStatus status, String message, int width, int height, String format) {
    return new DecodeResult(status, message, null, width, height, format);
  }

  public boolean isOk() {
    return status == ImageStatus.OK;
  }
}
