package io.sparkseg.core.image;

/**
 * Resizes 8-bit RGB to a float CHW plane in [0, 1] with bilinear interpolation, following
 * PyTorch's {@code interpolate(mode="bilinear", align_corners=False)} (no antialiasing) index
 * and weight rules in float32, so the network sees the same pixels as torchvision's own
 * resize. Writes into a caller-owned (padded) buffer to avoid a copy when batching.
 */
public final class BilinearResize {
  /** v / 255f for every byte value: the same float as the division, without dividing per sample. */
  private static final float[] UNIT = new float[256];

  static {
    for (int v = 0; v < 256; v++) {
      UNIT[v] = v / 255f;
    }
  }

  private BilinearResize() {}

  /** Source coordinate for a destination index, PyTorch's area_pixel_compute_source_index. */
  static float sourceIndex(float scale, int dst) {
    float src = scale * (dst + 0.5f) - 0.5f;
    return src < 0f ? 0f : src;
  }

  /**
   * Resizes {@code image} to {@code outH x outW} and writes channel c of pixel (y, x) to
   * {@code dest[destOffset + c*planeH*planeW + y*planeW + x]}; pixels outside outH x outW are
   * left untouched (the batch's zero padding).
   */
  public static void resizeInto(RgbImage image, int outH, int outW, float[] dest, int destOffset, int planeH, int planeW) {
    int inH = image.height();
    int inW = image.width();
    byte[] rgb = image.rgb();
    float scaleH = (float) inH / outH;
    float scaleW = (float) inW / outW;
    int[] x0 = new int[outW];
    int[] x1 = new int[outW];
    float[] wx = new float[outW];
    for (int x = 0; x < outW; x++) {
      float src = sourceIndex(scaleW, x);
      int i = (int) src;
      x0[x] = i * 3;
      x1[x] = (i < inW - 1 ? i + 1 : i) * 3;
      wx[x] = src - i;
    }
    int plane = planeH * planeW;
    for (int y = 0; y < outH; y++) {
      float src = sourceIndex(scaleH, y);
      int i = (int) src;
      int row0 = i * inW * 3;
      int row1 = (i < inH - 1 ? i + 1 : i) * inW * 3;
      float wy1 = src - i;
      float wy0 = 1f - wy1;
      int outRow = destOffset + y * planeW;
      for (int x = 0; x < outW; x++) {
        float w1 = wx[x];
        float w0 = 1f - w1;
        for (int c = 0; c < 3; c++) {
          float p00 = UNIT[rgb[row0 + x0[x] + c] & 0xff];
          float p01 = UNIT[rgb[row0 + x1[x] + c] & 0xff];
          float p10 = UNIT[rgb[row1 + x0[x] + c] & 0xff];
          float p11 = UNIT[rgb[row1 + x1[x] + c] & 0xff];
          dest[outRow + c * plane + x] = wy0 * (w0 * p00 + w1 * p01) + wy1 * (w0 * p10 + w1 * p11);
        }
      }
    }
  }
}
