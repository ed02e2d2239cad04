package io.sparkseg.core.mask;

import java.util.Arrays;

/**
 * The COCO compressed counts string: each run (from the fourth on, minus the run two before it)
 * as a little-endian sequence of signed 5-bit groups, each stored as {@code char(48 + group |
 * more<<5)}. Same as pycocotools' {@code rleToString}/{@code rleFrString}.
 */
final class CompressedCounts {
  private CompressedCounts() {}

  static String encode(int[] cnts) {
    StringBuilder sb = new StringBuilder(cnts.length * 2);
    for (int i = 0; i < cnts.length; i++) {
      long x = cnts[i];
      if (i > 2) {
        x -= cnts[i - 2];
      }
      boolean more = true;
      while (more) {
        long c = x & 0x1f;
        x >>= 5;
        more = (c & 0x10) != 0 ? x != -1 : x != 0;
        if (more) {
          c |= 0x20;
        }
        sb.append((char) (c + 48));
      }
    }
    return sb.toString();
  }

  static int[] decode(String s) {
    if (s == null) {
      throw new IllegalArgumentException("RLE counts string is null");
    }
    int[] cnts = new int[Math.max(4, s.length())];
    int m = 0;
    int p = 0;
    int n = s.length();
    while (p < n) {
      long x = 0;
      int k = 0;
      boolean more = true;
      while (more) {
        if (p >= n) {
          throw new IllegalArgumentException(
              "RLE counts string is truncated: its last run ends in a continuation character");
        }
        char ch = s.charAt(p);
        int c = ch - 48;
        if (c < 0 || c > 63) {
          throw new IllegalArgumentException("RLE counts string has invalid character '" + ch
              + "' at position " + p + " (allowed: '0' to 'o')");
        }
        if (k >= 7) {
          throw new IllegalArgumentException("RLE counts string has a run longer than 7 characters at position " + p);
        }
        x |= (long) (c & 0x1f) << (5 * k);
        more = (c & 0x20) != 0;
        p++;
        k++;
        if (!more && (c & 0x10) != 0) {
          x |= -1L << (5 * k);
        }
      }
      if (m > 2) {
        x += cnts[m - 2];
      }
      if (x < 0 || x > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("RLE counts string decodes to invalid run length " + x + " (run " + m + ")");
      }
      cnts[m++] = (int) x;
    }
    return Arrays.copyOf(cnts, m);
  }
}
