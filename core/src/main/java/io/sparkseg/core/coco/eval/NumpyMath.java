package io.sparkseg.core.coco.eval;

/** numpy's floating-point summation order ({@code pairwise_sum}), so means match to the last bit. */
final class NumpyMath {
  private static final int PW_BLOCKSIZE = 128;

  private NumpyMath() {}

  /** {@code np.sum(a[off:off+n])} for a contiguous float64 array. */
  static double sum(double[] a, int off, int n) {
    if (n < 8) {
      double res = 0.;
      for (int i = 0; i < n; i++) {
        res += a[off + i];
      }
      return res;
    } else if (n <= PW_BLOCKSIZE) {
      double r0 = a[off];
      double r1 = a[off + 1];
      double r2 = a[off + 2];
      double r3 = a[off + 3];
      double r4 = a[off + 4];
      double r5 = a[off + 5];
      double r6 = a[off + 6];
      double r7 = a[off + 7];
      int i;
      for (i = 8; i < n - (n % 8); i += 8) {
        r0 += a[off + i];
        r1 += a[off + i + 1];
        r2 += a[off + i + 2];
        r3 += a[off + i + 3];
        r4 += a[off + i + 4];
        r5 += a[off + i + 5];
        r6 += a[off + i + 6];
        r7 += a[off + i + 7];
      }
      double res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
      for (; i < n; i++) {
        res += a[off + i];
      }
      return res;
    } else {
      int n2 = n / 2;
      n2 -= n2 % 8;
      return sum(a, off, n2) + sum(a, off + n2, n - n2);
    }
  }

  /** {@code np.mean(a[:n])}, or -1 when {@code n == 0} (pycocotools' convention). */
  static double meanOrMinusOne(double[] a, int n) {
    return n == 0 ? -1 : sum(a, 0, n) / n;
  }
}
