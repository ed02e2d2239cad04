package io.sparkseg.core.model;

import io.sparkseg.core.image.RgbImage;
import java.util.List;

/**
 * Images of different sizes made into one network input: each resized by the bundle's rule
 * into the top-left corner of a zero-padded {@code [B, 3, H, W]} float buffer, with each
 * image's resized size (the model needs it to clip boxes) and original size (to map results
 * back); not the original pixels, which nothing after the resize reads.
 */
public final class ImageBatch {
  private final int[] originalWidths;
  private final int[] originalHeights;
  private final int[] resizedHeights;
  private final int[] resizedWidths;
  private final int height;
  private final int width;
  private final float[] pixels;

  private ImageBatch(int[] ow, int[] oh, int[] hs, int[] ws, int height, int width, float[] pixels) {
    this.originalWidths = ow;
    this.originalHeights = oh;
    this.resizedHeights = hs;
    this.resizedWidths = ws;
    this.height = height;
    this.width = width;
    this.pixels = pixels;
  }

  /** Resizes every image per {@code rule} and pads the batch to its largest resized size. */
  public static ImageBatch of(List<RgbImage> images, ResizeRule rule) {
    return ofResized(images.stream().map(img -> ResizedImage.of(img, rule)).toList());
  }

  /**
   * Pads images that were resized beforehand ({@link ResizedImage}) into one batch: the same
   * buffer as {@link #of} gives for their originals, with only copies on this thread.
   */
  public static ImageBatch ofResized(List<ResizedImage> images) {
    if (images.isEmpty()) {
      throw new IllegalArgumentException("an image batch needs at least one image");
    }
    int n = images.size();
    int[] hs = new int[n];
    int[] ws = new int[n];
    int maxH = 0;
    int maxW = 0;
    int[] ow = new int[n];
    int[] oh = new int[n];
    for (int i = 0; i < n; i++) {
      ResizedImage r = images.get(i);
      hs[i] = r.height();
      ws[i] = r.width();
      maxH = Math.max(maxH, hs[i]);
      maxW = Math.max(maxW, ws[i]);
      ow[i] = r.originalWidth();
      oh[i] = r.originalHeight();
    }
    if (n == 1) {
      // one image is its own batch: its planes already are [1, 3, h, w]
      return new ImageBatch(ow, oh, hs, ws, maxH, maxW, images.get(0).planes());
    }
    float[] pixels = new float[n * 3 * maxH * maxW];
    for (int i = 0; i < n; i++) {
      float[] src = images.get(i).planes();
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < hs[i]; y++) {
          System.arraycopy(src, (c * hs[i] + y) * ws[i], pixels, ((i * 3 + c) * maxH + y) * maxW, ws[i]);
        }
      }
    }
    return new ImageBatch(ow, oh, hs, ws, maxH, maxW, pixels);
  }

  public int size() {
    return originalWidths.length;
  }

  /** Width of image {@code i} as decoded, before resizing. */
  public int originalWidth(int i) {
    return originalWidths[i];
  }

  /** Height of image {@code i} as decoded, before resizing. */
  public int originalHeight(int i) {
    return originalHeights[i];
  }

  public int resizedHeight(int i) {
    return resizedHeights[i];
  }

  public int resizedWidth(int i) {
    return resizedWidths[i];
  }

  /** Padded batch height. */
  public int height() {
    return height;
  }

  /** Padded batch width. */
  public int width() {
    return width;
  }

  /** {@code [B, 3, height, width]} row-major; not copied. */
  public float[] pixels() {
    return pixels;
  }

  /** {@code [B, 2]} resized (height, width) per image, as the model's {@code sizes} input. */
  public long[] sizes() {
    long[] sizes = new long[2 * size()];
    for (int i = 0; i < size(); i++) {
      sizes[2 * i] = resizedHeights[i];
      sizes[2 * i + 1] = resizedWidths[i];
    }
    return sizes;
  }
}
