package io.sparkseg.core.mask;

import java.util.Arrays;

/**
 * The boundary region of a mask as Boundary IoU defines it (Cheng, Girshick, Dollár, Berg,
 * Kirillov, CVPR 2021): the mask's pixels within distance {@code d} of its contour. The reference
 * takes the mask minus its erosion by a 3x3 square applied {@code d} times after padding the image
 * with one pixel of zeros, so a mask cut by the image border has a boundary along it. That erosion
 * keeps exactly the pixels whose {@code (2d+1)x(2d+1)} square lies in the mask, which is what this
 * computes, separably and only inside the mask's box (everything outside it is 0).
 */
public final class MaskBoundary {
  /** The default boundary width as a fraction of the image diagonal (the paper's 2%). */
  public static final double DEFAULT_DILATION_RATIO = 0.02;

  private MaskBoundary() {}

  /**
   * The boundary width in pixels for an image: {@code max(1, round(ratio * diagonal))}, rounding
   * half to even as the reference's Python {@code round} does.
   */
  public static int dilation(int height, int width, double ratio) {
    if (!(ratio > 0) || Double.isInfinite(ratio)) {
      throw new IllegalArgumentException("boundary dilation ratio must be a finite number > 0, got " + ratio);
    }
    double diagonal = Math.sqrt((double) ((long) height * height + (long) width * width));
    double d = Math.rint(ratio * diagonal);
    return d < 1 ? 1 : (int) Math.min(Integer.MAX_VALUE, d);
  }

  /** The boundary of {@code mask} at the width {@code ratio} gives for its image. */
  public static Rle of(Rle mask, double ratio) {
    return of(mask, dilation(mask.height(), mask.width(), ratio));
  }

  /** The pixels of {@code mask} within {@code d} (&gt;= 1) of a pixel outside it or of the image border. */
  public static Rle of(Rle mask, int d) {
    if (d < 1) {
      throw new IllegalArgumentException("boundary width must be at least 1 pixel, got " + d);
    }
    double[] box = mask.toBbox();
    int x0 = (int) box[0];
    int y0 = (int) box[1];
    int bw = (int) box[2];
    int bh = (int) box[3];
    long side = 2L * d + 1;
    if (bw < side || bh < side) {
      return mask; // nothing survives the erosion (the empty mask included): all of it is boundary
    }
    byte[] in = new byte[bw * bh];
    byte[] cols = new byte[bw * bh];
    crop(mask, x0, y0, bw, bh, d, in, cols);
    byte[] eroded = erodeRows(cols, bw, bh, d);
    int h = mask.height();
    RunLengthWriter out = new RunLengthWriter(h, mask.width());
    out.append(false, (long) x0 * h);
    for (int c = 0; c < bw; c++) {
      out.append(false, y0);
      int base = c * bh;
      int start = 0;
      boolean v = false;
      for (int y = 0; y < bh; y++) {
        boolean b = in[base + y] != eroded[base + y]; // eroded lies inside the mask
        if (b != v) {
          out.append(v, y - start);
          start = y;
          v = b;
        }
      }
      out.append(v, bh - start);
      out.append(false, h - y0 - bh);
    }
    out.append(false, (long) (mask.width() - x0 - bw) * h);
    return out.finish();
  }

  /**
   * Fills {@code in} with the mask inside its box, column-major ({@code [(x - x0) * bh + (y - y0)]}),
   * and {@code cols} with its erosion along the columns: each column's runs of 1s less {@code d}
   * at each end (the box's edges count as 0).
   */
  private static void crop(Rle mask, int x0, int y0, int bw, int bh, int d, byte[] in, byte[] cols) {
    long h = mask.height();
    long p = 0;
    int n = mask.runCount();
    int from = 0; // the column's run of 1s being read, [from, to) in the box
    int to = 0;
    for (int i = 0; i < n; i++) {
      long end = p + mask.run(i);
      if (i % 2 == 1) {
        for (long s = p; s < end; ) {
          long x = s / h;
          long colEnd = Math.min(end, (x + 1) * h);
          int a = (int) ((x - x0) * bh + (s - x * h) - y0);
          int b = a + (int) (colEnd - s);
          Arrays.fill(in, a, b, (byte) 1);
          if (a == to && a % bh != 0) {
            to = b; // an empty run of 0s between: the same run of 1s
          } else {
            shrink(cols, from, to, d);
            from = a;
            to = b;
          }
          s = colEnd;
        }
      }
      p = end;
    }
    shrink(cols, from, to, d);
  }

  private static void shrink(byte[] cols, int from, int to, int d) {
    if (to - from > 2L * d) {
      Arrays.fill(cols, from + d, to - d, (byte) 1);
    }
  }

  /** The pixels of {@code cols} whose row holds {@code d} more 1s on either side (the box's edges count as 0). */
  private static byte[] erodeRows(byte[] cols, int bw, int bh, int d) {
    byte[] out = new byte[cols.length];
    int[] run = new int[bh]; // per row: the 1s in a row of cols ending at column c
    long side = 2L * d + 1;
    for (int c = 0; c < bw; c++) {
      int base = c * bh;
      for (int y = 0; y < bh; y++) {
        run[y] = cols[base + y] != 0 ? run[y] + 1 : 0;
        if (run[y] >= side) {
          out[(c - d) * bh + y] = 1;
        }
      }
    }
    return out;
  }
}
