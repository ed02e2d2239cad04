package io.sparkseg.core.mask;

import java.util.Arrays;
import java.util.List;

/** Union / intersection of several same-size RLEs by walking their runs (pycocotools rleMerge). */
final class RleMerge {
  private RleMerge() {}

  static Rle merge(List<Rle> rles, boolean intersect) {
    int n = rles.size();
    if (n == 0) {
      return new Rle(0, 0, new int[0], false);
    }
    Rle first = rles.get(0);
    int h = first.height();
    int w = first.width();
    if (n == 1) {
      return first;
    }
    int[] cnts = first.countsNoCopy().clone();
    int m = cnts.length;
    for (int i = 1; i < n; i++) {
      Rle b = rles.get(i);
      if (b.height() != h || b.width() != w) {
        throw new IllegalArgumentException("cannot merge RLEs of different sizes: " + h + "x" + w
            + " and " + b.height() + "x" + b.width() + " (mask " + i + ")");
      }
      int[] ac = Arrays.copyOf(cnts, m);
      int am = m;
      int[] bc = b.countsNoCopy();
      int bm = bc.length;
      int[] out = new int[am + bm + 1];
      long ca = am > 0 ? ac[0] : 0;
      long cb = bm > 0 ? bc[0] : 0;
      boolean v = false;
      boolean va = false;
      boolean vb = false;
      int a = 1;
      int bi = 1;
      long cc = 0;
      long ct = 1;
      m = 0;
      while (ct > 0) {
        long c = Math.min(ca, cb);
        cc += c;
        ct = 0;
        ca -= c;
        if (ca == 0 && a < am) {
          ca = ac[a++];
          va = !va;
        }
        ct += ca;
        cb -= c;
        if (cb == 0 && bi < bm) {
          cb = bc[bi++];
          vb = !vb;
        }
        ct += cb;
        boolean vp = v;
        v = intersect ? (va && vb) : (va || vb);
        if (v != vp || ct == 0) {
          if (m == out.length) {
            out = Arrays.copyOf(out, out.length * 2);
          }
          out[m++] = (int) cc;
          cc = 0;
        }
      }
      cnts = out;
    }
    return new Rle(h, w, Arrays.copyOf(cnts, m), false);
  }
}
