package io.sparkseg.core.model;

import io.sparkseg.core.image.BilinearResize;
import io.sparkseg.core.image.PilBilinearResize;
import io.sparkseg.core.image.RgbImage;

/**
 * One image already resized by a bundle's rule into its own float CHW plane: the expensive half
 * of batching, done on whatever thread prepares images, so that the inference thread only copies
 * planes into the padded batch ({@link ImageBatch#ofResized}). It keeps the decoded image's size,
 * not its pixels: nothing downstream reads them, so an image waiting for the model holds only
 * its resized planes (the decoded original, often many times larger, is garbage once resized).
 */
public final class ResizedImage {
  private final int originalWidth;
  private final int originalHeight;
  private final int height;
  private final int width;
  private final float[] planes;

  private ResizedImage(int originalWidth, int originalHeight, int height, int width, float[] planes) {
    this.originalWidth = originalWidth;
    this.originalHeight = originalHeight;
    this.height = height;
    this.width = width;
    this.planes = planes;
  }

  /** {@code image} resized per {@code rule} (its kind says how). */
  public static ResizedImage of(RgbImage image, ResizeRule rule) {
    int[] size = rule.resizedSize(image.width(), image.height());
    float[] planes = new float[3 * size[0] * size[1]];
    if (rule.kind() == ResizeRule.Kind.DETECTRON2) {
      // resized as 8-bit pixels, then to the 0..1 planes (the model scales back to 0..255); at its own size the
      // bilinear resize is exactly v / 255 per byte
      RgbImage resized = PilBilinearResize.resize(image, size[1], size[0]);
      BilinearResize.resizeInto(resized, size[0], size[1], planes, 0, size[0], size[1]);
    } else {
      BilinearResize.resizeInto(image, size[0], size[1], planes, 0, size[0], size[1]);
    }
    return new ResizedImage(image.width(), image.height(), size[0], size[1], planes);
  }

  /** Width of the decoded image it came from (results map back to its size). */
  public int originalWidth() {
    return originalWidth;
  }

  /** Height of the decoded image it came from. */
  public int originalHeight() {
    return originalHeight;
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  /**
   * The canvas this image is padded to when it runs alone (its resized size rounded up to
   * {@code sizeDivisibility}), as one key: images with equal keys batch without extra padding
   * and without changing each other's detections.
   */
  public long canvas(int sizeDivisibility) {
    long h = (height + sizeDivisibility - 1L) / sizeDivisibility;
    long w = (width + sizeDivisibility - 1L) / sizeDivisibility;
    return h << 32 | w;
  }

  /** {@code [3, height, width]} row-major; not copied. */
  float[] planes() {
    return planes;
  }
}
