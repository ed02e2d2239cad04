package io.sparkseg.core.model;

import io.sparkseg.core.image.BilinearResize;
import io.sparkseg.core.image.RgbImage;

/**
 * One image already resized by a bundle's rule into its own float CHW plane: the expensive half
 * of batching, done on whatever thread prepares images, so that the inference thread only copies
 * planes into the padded batch ({@link ImageBatch#ofResized}).
 */
public final class ResizedImage {
  private final RgbImage original;
  private final int height;
  private final int width;
  private final float[] planes;

  private ResizedImage(RgbImage original, int height, int width, float[] planes) {
    this.original = original;
    this.height = height;
    this.width = width;
    this.planes = planes;
  }

  /** {@code image} resized per {@code rule}. */
  public static ResizedImage of(RgbImage image, ResizeRule rule) {
    int[] size = rule.resizedSize(image.width(), image.height());
    float[] planes = new float[3 * size[0] * size[1]];
    BilinearResize.resizeInto(image, size[0], size[1], planes, 0, size[0], size[1]);
    return new ResizedImage(image, size[0], size[1], planes);
  }

  /** The decoded image it came from (results map back to its size). */
  public RgbImage original() {
    return original;
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
