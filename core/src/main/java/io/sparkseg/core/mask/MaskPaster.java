package io.sparkseg.core.mask;

/**
 * Pastes a small square mask-probability map (Mask R-CNN's 28x28 output) into its box in the
 * full image, the way torchvision's {@code paste_masks_in_image} does (pad by one pixel,
 * expand the box to match, truncate it to integers, bilinear resize to the box, copy the part
 * inside the image), thresholds it and emits COCO RLE directly. Only the box's pixels are
 * visited and no image-sized buffer is allocated, so cost is proportional to the box area. The
 * mean probability of the foreground pixels comes out of the same pass.
 */
public final class MaskPaster {
  private MaskPaster() {}

  /**
   * @param probs mask probabilities, row-major, {@code m*m} values from {@code offset}
   * @param x1 box left in image pixels (xyxy)
   * @param threshold a pixel is foreground when its probability is strictly greater
   */
  public static PastedMask paste(float[] probs, int offset, int m, float x1, float y1, float x2, float y2,
      int imageHeight, int imageWidth, float threshold) {
    // expand_masks/expand_boxes: one pixel of zero padding around the map, box grown to match
    int padded = m + 2;
    float scale = (float) ((double) padded / m);
    float wHalf = (x2 - x1) * 0.5f * scale;
    float hHalf = (y2 - y1) * 0.5f * scale;
    float xc = (x2 + x1) * 0.5f;
    float yc = (y2 + y1) * 0.5f;
    long bx0 = (long) (xc - wHalf);
    long by0 = (long) (yc - hHalf);
    long bx1 = (long) (xc + wHalf);
    long by1 = (long) (yc + hHalf);
    int w = (int) Math.max(bx1 - bx0 + 1, 1);
    int h = (int) Math.max(by1 - by0 + 1, 1);

    int ix0 = (int) Math.max(bx0, 0);
    int ix1 = (int) Math.min(bx1 + 1, imageWidth);
    int iy0 = (int) Math.max(by0, 0);
    int iy1 = (int) Math.min(by1 + 1, imageHeight);

    RunLengthWriter out = new RunLengthWriter(imageHeight, imageWidth);
    if (ix1 <= ix0 || iy1 <= iy0) {
      out.append(false, (long) imageHeight * imageWidth);
      return new PastedMask(out.finish(), 0f);
    }
    // bilinear weights (align_corners=False) from the padded map to the h x w box, rows in box space
    float scaleH = (float) padded / h;
    float scaleW = (float) padded / w;
    int rows = iy1 - iy0;
    int[] r0 = new int[rows];
    int[] r1 = new int[rows];
    float[] ry = new float[rows];
    for (int j = 0; j < rows; j++) {
      float src = sourceIndex(scaleH, (int) (iy0 + j - by0));
      int i = (int) src;
      r0[j] = i;
      r1[j] = i < padded - 1 ? i + 1 : i;
      ry[j] = src - i;
    }
    float[] map = paddedMap(probs, offset, m);
    double foregroundSum = 0;
    long foreground = 0;
    out.append(false, (long) ix0 * imageHeight);
    for (int x = ix0; x < ix1; x++) {
      float src = sourceIndex(scaleW, (int) (x - bx0));
      int c0 = (int) src;
      int c1 = c0 < padded - 1 ? c0 + 1 : c0;
      float wx1 = src - c0;
      float wx0 = 1f - wx1;
      out.append(false, iy0);
      for (int j = 0; j < rows; j++) {
        float wy1 = ry[j];
        float wy0 = 1f - wy1;
        int a = r0[j] * padded;
        int b = r1[j] * padded;
        float v = wy0 * (wx0 * map[a + c0] + wx1 * map[a + c1]) + wy1 * (wx0 * map[b + c0] + wx1 * map[b + c1]);
        boolean on = v > threshold;
        if (on) {
          foregroundSum += v;
          foreground++;
        }
        out.append(on, 1);
      }
      out.append(false, imageHeight - iy1);
    }
    out.append(false, (long) (imageWidth - ix1) * imageHeight);
    return new PastedMask(out.finish(), foreground == 0 ? 0f : (float) (foregroundSum / foreground));
  }

  /** The padded (m+2) x (m+2) map: zero on the one-pixel border, the model's probabilities inside. */
  private static float[] paddedMap(float[] probs, int offset, int m) {
    int padded = m + 2;
    float[] map = new float[padded * padded];
    for (int r = 0; r < m; r++) {
      System.arraycopy(probs, offset + r * m, map, (r + 1) * padded + 1, m);
    }
    return map;
  }

  private static float sourceIndex(float scale, int dst) {
    float src = scale * (dst + 0.5f) - 0.5f;
    return src < 0f ? 0f : src;
  }
}
