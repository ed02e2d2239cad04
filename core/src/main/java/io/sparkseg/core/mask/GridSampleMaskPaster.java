package io.sparkseg.core.mask;

/**
 * Pastes a square mask-probability map into its box the way Detectron2's {@code paste_masks_in_image} does on
 * the CPU: every pixel of the box's window {@code [floor(x1) - 1, ceil(x2) + 1)} (clipped to the image) samples the
 * map bilinearly at its centre mapped into the box ({@code grid_sample}, align_corners=False, zero outside the
 * map), and is foreground when that probability is at least the threshold. Emits COCO RLE straight away and the
 * mean probability of the foreground pixels, like {@link MaskPaster}, visiting only the window's pixels.
 */
public final class GridSampleMaskPaster {
  private GridSampleMaskPaster() {}

  /**
   * @param probs mask probabilities, row-major, {@code m*m} values from {@code offset}
   * @param x1 box left in image pixels (xyxy)
   * @param threshold a pixel is foreground when its probability is greater than or equal to it
   */
  public static PastedMask paste(float[] probs, int offset, int m, float x1, float y1, float x2, float y2,
      int imageHeight, int imageWidth, float threshold) {
    int c0 = (int) Math.max(Math.floor(x1) - 1, 0);
    int r0 = (int) Math.max(Math.floor(y1) - 1, 0);
    int c1 = (int) Math.min(Math.ceil(x2) + 1, imageWidth);
    int r1 = (int) Math.min(Math.ceil(y2) + 1, imageHeight);
    RunLengthWriter out = new RunLengthWriter(imageHeight, imageWidth);
    if (c1 <= c0 || r1 <= r0) {
      out.append(false, (long) imageHeight * imageWidth);
      return new PastedMask(out.finish(), 0f);
    }
    int rows = r1 - r0;
    int[] ry0 = new int[rows];
    float[] wy = new float[rows];
    for (int j = 0; j < rows; j++) {
      float iy = sourceIndex(r0 + j, y1, y2, m);
      ry0[j] = (int) Math.floor(iy);
      wy[j] = iy - ry0[j];
    }
    double foregroundSum = 0;
    long foreground = 0;
    out.append(false, (long) c0 * imageHeight);
    for (int x = c0; x < c1; x++) {
      float ix = sourceIndex(x, x1, x2, m);
      int cx0 = (int) Math.floor(ix);
      float w = ix - cx0;
      float e = 1f - w;
      out.append(false, r0);
      for (int j = 0; j < rows; j++) {
        float n = wy[j];
        float s = 1f - n;
        int ry = ry0[j];
        float v = s * e * at(probs, offset, m, ry, cx0) + s * w * at(probs, offset, m, ry, cx0 + 1)
            + n * e * at(probs, offset, m, ry + 1, cx0) + n * w * at(probs, offset, m, ry + 1, cx0 + 1);
        boolean on = v >= threshold;
        if (on) {
          foregroundSum += v;
          foreground++;
        }
        out.append(on, 1);
      }
      out.append(false, imageHeight - r1);
    }
    out.append(false, (long) (imageWidth - c1) * imageHeight);
    return new PastedMask(out.finish(), foreground == 0 ? 0f : (float) (foregroundSum / foreground));
  }

  /**
   * The map coordinate a pixel's centre samples: its grid value {@code (p + 0.5 - lo) / (hi - lo) * 2 - 1}
   * unnormalized as grid_sample does without aligned corners, all in float32.
   */
  private static float sourceIndex(int pixel, float lo, float hi, int m) {
    float g = ((pixel + 0.5f) - lo) / (hi - lo) * 2f - 1f;
    return ((g + 1f) * m - 1f) / 2f;
  }

  /** A map value, 0 outside the map (grid_sample's zero padding). */
  private static float at(float[] probs, int offset, int m, int row, int col) {
    return row < 0 || col < 0 || row >= m || col >= m ? 0f : probs[offset + row * m + col];
  }
}
