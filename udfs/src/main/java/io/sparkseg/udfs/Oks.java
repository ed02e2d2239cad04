package io.sparkseg.udfs;

import io.sparkseg.core.coco.eval.EvalParams;

/** COCO object keypoint similarity (pycocotools' {@code computeOks} for one pair). */
public final class Oks {
  private Oks() {}

  /** {@code np.spacing(1)}. */
  static final double EPS = 2.220446049250313e-16;

  /**
   * OKS of detection keypoints {@code dt} against ground truth {@code gt} (both flat {@code [x, y,
   * v, ...]}; a GT keypoint counts when {@code v > 0}, the detection's third value is ignored):
   * the mean over the labelled GT keypoints of {@code exp(-d^2 / (2 sigma)^2 / (area + eps) / 2)}.
   * When the GT has no labelled keypoint, distances are measured to the box {@code [x - w, y - h,
   * x + 2w, y + 2h]} around {@code gtBox} and averaged over all keypoints (as pycocotools does);
   * without a box the result is then NaN.
   *
   * @param sigmas per keypoint; null for COCO's 17 person sigmas
   */
  public static double oks(double[] gt, double[] dt, double area, double[] sigmas, double[] gtBox) {
    int k = gt.length / 3;
    if (dt.length != gt.length) {
      throw new IllegalArgumentException("the ground truth has " + k + " keypoints but the detection has "
          + dt.length / 3);
    }
    double[] s = sigmas;
    if (s == null) {
      if (k != EvalParams.COCO_KEYPOINT_SIGMAS.length) {
        throw new IllegalArgumentException(k + " keypoints but no sigmas given; COCO's default sigmas are for the "
            + EvalParams.COCO_KEYPOINT_SIGMAS.length + " person keypoints");
      }
      s = EvalParams.COCO_KEYPOINT_SIGMAS;
    } else if (s.length != k) {
      throw new IllegalArgumentException(s.length + " sigmas for " + k + " keypoints");
    }
    if (k == 0) {
      return Double.NaN;
    }
    int labelled = 0;
    for (int i = 0; i < k; i++) {
      if (gt[3 * i + 2] > 0) {
        labelled++;
      }
    }
    if (labelled == 0 && gtBox == null) {
      return Double.NaN;
    }
    double sum = 0;
    int n = 0;
    for (int i = 0; i < k; i++) {
      double dx;
      double dy;
      double xd = dt[3 * i];
      double yd = dt[3 * i + 1];
      if (labelled > 0) {
        if (!(gt[3 * i + 2] > 0)) {
          continue;
        }
        dx = xd - gt[3 * i];
        dy = yd - gt[3 * i + 1];
      } else {
        double x0 = gtBox[0] - gtBox[2];
        double x1 = gtBox[0] + gtBox[2] * 2;
        double y0 = gtBox[1] - gtBox[3];
        double y1 = gtBox[1] + gtBox[3] * 2;
        dx = Math.max(0, x0 - xd) + Math.max(0, xd - x1);
        dy = Math.max(0, y0 - yd) + Math.max(0, yd - y1);
      }
      double var = (s[i] * 2) * (s[i] * 2);
      double e = (dx * dx + dy * dy) / var / (area + EPS) / 2;
      sum += Math.exp(-e);
      n++;
    }
    return sum / n;
  }
}
