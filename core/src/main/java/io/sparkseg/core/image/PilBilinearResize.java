package io.sparkseg.core.image;

/**
 * Resizes 8-bit RGB the way Pillow's {@code Image.resize(size, Image.BILINEAR)} does (its {@code Resample.c}),
 * bit for bit: a triangle filter whose support widens with the downscale factor (antialiased), coefficients
 * normalized per output pixel and rounded to fixed point with 22 fractional bits, a horizontal pass over the
 * source rows the vertical pass needs, then a vertical pass, each rounding to 8 bits. Detectron2's
 * {@code DefaultPredictor} resizes its input so ({@code ResizeTransform} on a uint8 image).
 */
public final class PilBilinearResize {
  private static final int PRECISION_BITS = 32 - 8 - 2;

  private PilBilinearResize() {}

  /** The filter taps of one axis: for output i, {@code count[i]} weights from source index {@code first[i]}. */
  private record Taps(int[] first, int[] count, int[] weights, int stride) {}

  /** Pillow's precompute_coeffs + normalize_coeffs_8bpc for a resize of {@code inSize} to {@code outSize}. */
  private static Taps taps(int inSize, int outSize) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = filterScale; // the bilinear filter's support is 1
    int stride = (int) Math.ceil(support) * 2 + 1;
    int[] first = new int[outSize];
    int[] count = new int[outSize];
    int[] weights = new int[outSize * stride];
    double[] k = new double[stride];
    for (int xx = 0; xx < outSize; xx++) {
      double center = (xx + 0.5) * scale;
      double ss = 1.0 / filterScale;
      int xmin = (int) (center - support + 0.5);
      if (xmin < 0) {
        xmin = 0;
      }
      int xmax = (int) (center + support + 0.5);
      if (xmax > inSize) {
        xmax = inSize;
      }
      xmax -= xmin;
      double ww = 0.0;
      for (int x = 0; x < xmax; x++) {
        double w = triangle((x + xmin - center + 0.5) * ss);
        k[x] = w;
        ww += w;
      }
      for (int x = 0; x < xmax; x++) {
        double w = ww != 0.0 ? k[x] / ww : k[x];
        weights[xx * stride + x] = w < 0 ? (int) (-0.5 + w * (1 << PRECISION_BITS))
            : (int) (0.5 + w * (1 << PRECISION_BITS));
      }
      first[xx] = xmin;
      count[xx] = xmax;
    }
    return new Taps(first, count, weights, stride);
  }

  private static double triangle(double x) {
    if (x < 0.0) {
      x = -x;
    }
    return x < 1.0 ? 1.0 - x : 0.0;
  }

  private static int clip8(int v) {
    if (v >= (1 << PRECISION_BITS << 8)) {
      return 255;
    }
    return v <= 0 ? 0 : v >> PRECISION_BITS;
  }

  /** {@code image} resized to {@code outW x outH}. */
  public static RgbImage resize(RgbImage image, int outW, int outH) {
    int inW = image.width();
    int inH = image.height();
    if (outW <= 0 || outH <= 0) {
      throw new IllegalArgumentException("resize to " + outW + "x" + outH + ": sides must be positive");
    }
    byte[] src = image.rgb();
    Taps vert = taps(inH, outH);
    // the rows the vertical pass reads: the horizontal pass runs on those only, as Pillow's does
    int rowFirst = vert.first()[0];
    int rowLast = vert.first()[outH - 1] + vert.count()[outH - 1];
    int rows = inH;
    int rowOffset = 0;
    byte[] mid = src;
    int midW = inW;
    if (outW != inW) {
      Taps horiz = taps(inW, outW);
      rows = rowLast - rowFirst;
      rowOffset = rowFirst;
      mid = new byte[rows * outW * 3];
      for (int y = 0; y < rows; y++) {
        int in = (y + rowFirst) * inW * 3;
        for (int xx = 0; xx < outW; xx++) {
          int f = horiz.first()[xx];
          int n = horiz.count()[xx];
          int kk = xx * horiz.stride();
          int s0 = 1 << (PRECISION_BITS - 1);
          int s1 = s0;
          int s2 = s0;
          for (int x = 0; x < n; x++) {
            int w = horiz.weights()[kk + x];
            int p = in + (f + x) * 3;
            s0 += (src[p] & 0xff) * w;
            s1 += (src[p + 1] & 0xff) * w;
            s2 += (src[p + 2] & 0xff) * w;
          }
          int o = (y * outW + xx) * 3;
          mid[o] = (byte) clip8(s0);
          mid[o + 1] = (byte) clip8(s1);
          mid[o + 2] = (byte) clip8(s2);
        }
      }
      midW = outW;
    }
    if (outH == inH) {
      return mid == src ? new RgbImage(inW, inH, src.clone()) : new RgbImage(outW, outH, mid);
    }
    byte[] out = new byte[outH * midW * 3];
    for (int yy = 0; yy < outH; yy++) {
      int f = vert.first()[yy] - rowOffset;
      int n = vert.count()[yy];
      int kk = yy * vert.stride();
      for (int xx = 0; xx < midW; xx++) {
        int s0 = 1 << (PRECISION_BITS - 1);
        int s1 = s0;
        int s2 = s0;
        for (int y = 0; y < n; y++) {
          int w = vert.weights()[kk + y];
          int p = ((f + y) * midW + xx) * 3;
          s0 += (mid[p] & 0xff) * w;
          s1 += (mid[p + 1] & 0xff) * w;
          s2 += (mid[p + 2] & 0xff) * w;
        }
        int o = (yy * midW + xx) * 3;
        out[o] = (byte) clip8(s0);
        out[o + 1] = (byte) clip8(s1);
        out[o + 2] = (byte) clip8(s2);
      }
    }
    return new RgbImage(outW, outH, out);
  }
}
