package io.sparkseg.core.mask;

/**
 * Intersection over union of {@code [x, y, w, h]} boxes as pycocotools computes it: plain {@code
 * w*h} areas (no +1), and for a crowd ground truth the intersection over the detection's area.
 */
public final class BoxIou {
  private BoxIou() {}

  /** IoU of detection box {@code dt} with ground-truth box {@code gt}. */
  public static double iou(double[] dt, double[] gt, boolean gtIsCrowd) {
    double w = Math.min(dt[2] + dt[0], gt[2] + gt[0]) - Math.max(dt[0], gt[0]);
    if (w <= 0) {
      return 0;
    }
    double h = Math.min(dt[3] + dt[1], gt[3] + gt[1]) - Math.max(dt[1], gt[1]);
    if (h <= 0) {
      return 0;
    }
    double i = w * h;
    double da = dt[2] * dt[3];
    double u = gtIsCrowd ? da : da + gt[2] * gt[3] - i;
    return i / u;
  }

  /** The matrix {@code [d][g]} of IoUs ({@code mask.iou(dts, gts, iscrowd)} on boxes). */
  public static double[][] matrix(double[][] dts, double[][] gts, boolean[] gtIsCrowd) {
    double[][] out = new double[dts.length][gts.length];
    for (int g = 0; g < gts.length; g++) {
      for (int d = 0; d < dts.length; d++) {
        out[d][g] = iou(dts[d], gts[g], gtIsCrowd[g]);
      }
    }
    return out;
  }
}
