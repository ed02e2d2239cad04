package io.sparkseg.core.mask;

import java.util.List;

/**
 * Intersection over union of RLE masks as pycocotools' {@code rleIou} computes it: the bounding
 * boxes must overlap first; for a crowd ground truth it is the intersection over the detection's
 * area; an empty intersection gives 0.
 */
public final class MaskIou {
  private MaskIou() {}

  /**
   * IoU of detection mask {@code dt} with ground-truth mask {@code gt}.
   *
   * @throws IllegalArgumentException if the two masks have different sizes
   */
  public static double iou(Rle dt, Rle gt, boolean gtIsCrowd) {
    return iou(dt, dt.toBbox(), gt, gt.toBbox(), gtIsCrowd);
  }

  /** As {@link #iou(Rle, Rle, boolean)} with the boxes already computed by {@link Rle#toBbox()}. */
  public static double iou(Rle dt, double[] dtBox, Rle gt, double[] gtBox, boolean gtIsCrowd) {
    if (dt.height() != gt.height() || dt.width() != gt.width()) {
      throw new IllegalArgumentException("mask sizes differ: detection " + dt.height() + "x" + dt.width()
          + ", ground truth " + gt.height() + "x" + gt.width());
    }
    if (!(BoxIou.iou(dtBox, gtBox, gtIsCrowd) > 0)) {
      return 0;
    }
    int[] a = dt.countsNoCopy();
    int[] b = gt.countsNoCopy();
    int ka = a.length;
    int kb = b.length;
    long ca = ka > 0 ? a[0] : 0;
    long cb = kb > 0 ? b[0] : 0;
    boolean va = false;
    boolean vb = false;
    int ia = 1;
    int ib = 1;
    long u = 0;
    long i = 0;
    long ct = 1;
    while (ct > 0) {
      long c = Math.min(ca, cb);
      if (va || vb) {
        u += c;
        if (va && vb) {
          i += c;
        }
      }
      ct = 0;
      ca -= c;
      if (ca == 0 && ia < ka) {
        ca = a[ia++];
        va = !va;
      }
      ct += ca;
      cb -= c;
      if (cb == 0 && ib < kb) {
        cb = b[ib++];
        vb = !vb;
      }
      ct += cb;
    }
    if (i == 0) {
      u = 1;
    } else if (gtIsCrowd) {
      u = dt.area();
    }
    return (double) i / (double) u;
  }

  /** The matrix {@code [d][g]} of IoUs ({@code mask.iou(dts, gts, iscrowd)}). */
  public static double[][] matrix(List<Rle> dts, List<Rle> gts, boolean[] gtIsCrowd) {
    double[][] dbox = new double[dts.size()][];
    for (int d = 0; d < dbox.length; d++) {
      dbox[d] = dts.get(d).toBbox();
    }
    double[][] gbox = new double[gts.size()][];
    for (int g = 0; g < gbox.length; g++) {
      gbox[g] = gts.get(g).toBbox();
    }
    double[][] out = new double[dts.size()][gts.size()];
    for (int g = 0; g < gbox.length; g++) {
      for (int d = 0; d < dbox.length; d++) {
        out[d][g] = iou(dts.get(d), dbox[d], gts.get(g), gbox[g], gtIsCrowd[g]);
      }
    }
    return out;
  }
}
