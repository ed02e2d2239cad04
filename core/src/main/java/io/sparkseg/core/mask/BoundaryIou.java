package io.sparkseg.core.mask;

import java.util.List;

/**
 * The pair measure of Boundary IoU's COCO evaluation (iouType {@code boundary}): the smaller of the
 * mask IoU and the IoU of the two boundary regions ({@link MaskBoundary}), so that a match needs
 * both the region and its contour right. Against a crowd ground truth it is the mask IoU alone
 * (intersection over the detection's area), as the reference evaluation keeps it: a crowd region's
 * outline is not an object's.
 */
public final class BoundaryIou {
  private BoundaryIou() {}

  /**
   * The matrix {@code [d][g]} for masks of one image, boundaries {@code dilation} pixels wide. Each
   * mask's boundary is computed at most once, and only where the mask IoU is not 0 already.
   */
  public static double[][] matrix(List<Rle> dts, List<Rle> gts, boolean[] gtIsCrowd, int dilation) {
    return matrix(dts, gts, gtIsCrowd, dilation, 0);
  }

  /**
   * As {@link #matrix(List, List, boolean[], int)}, but a pair whose mask IoU is below {@code
   * floor} keeps that value: its measure is below {@code floor} either way, so for an evaluation
   * whose lowest IoU threshold is {@code floor} it matches nothing either way, and the boundaries of
   * masks that only overlap a little are never computed.
   */
  public static double[][] matrix(List<Rle> dts, List<Rle> gts, boolean[] gtIsCrowd, int dilation, double floor) {
    double[][] out = MaskIou.matrix(dts, gts, gtIsCrowd);
    Rle[] db = new Rle[dts.size()];
    double[][] dbox = new double[dts.size()][];
    Rle[] gb = new Rle[gts.size()];
    double[][] gbox = new double[gts.size()][];
    for (int g = 0; g < gb.length; g++) {
      if (gtIsCrowd[g]) {
        continue;
      }
      for (int d = 0; d < db.length; d++) {
        if (out[d][g] == 0 || out[d][g] < floor) {
          continue;
        }
        if (gb[g] == null) {
          gb[g] = MaskBoundary.of(gts.get(g), dilation);
          gbox[g] = gb[g].toBbox();
        }
        if (db[d] == null) {
          db[d] = MaskBoundary.of(dts.get(d), dilation);
          dbox[d] = db[d].toBbox();
        }
        out[d][g] = Math.min(out[d][g], MaskIou.iou(db[d], dbox[d], gb[g], gbox[g], false));
      }
    }
    return out;
  }
}
