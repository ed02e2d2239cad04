package io.sparkseg.core.coco.errors;

import io.sparkseg.core.coco.eval.ImageEval;

/**
 * One image's confusion counts at the matching threshold: a true positive counts on the diagonal;
 * a false positive, in descending score order, takes the unclaimed unmatched non-crowd ground truth
 * of another class it overlaps most at IoU &gt;= t_f (ground-truth class, predicted class), and is
 * background otherwise (duplicates included); a ground truth nothing matched or took is missed
 * (class, background). Detections COCO ignores do not count.
 */
final class ImageConfusion {
  /** The category of the background row and column. */
  static final int BACKGROUND = -1;

  private ImageConfusion() {}

  static void count(ImageMatch m, Tally out) {
    boolean[] taken = m.used.clone();
    for (int d : m.byScore()) {
      if (m.state[d] == ImageEval.TP) {
        out.add(m.gtCat[m.matched[d]], m.detCat[d]);
      } else if (m.state[d] == ImageEval.FP) {
        int best = -1;
        for (int g = 0; g < m.gt.length; g++) {
          if (taken[g] || m.gtIgnored[g] || m.gtCat[g] == m.detCat[d] || m.iou[d][g] < ErrorThresholds.FOREGROUND) {
            continue;
          }
          if (best < 0 || m.iou[d][g] > m.iou[d][best]) {
            best = g;
          }
        }
        if (best >= 0) {
          taken[best] = true;
          out.add(m.gtCat[best], m.detCat[d]);
        } else {
          out.add(BACKGROUND, m.detCat[d]);
        }
      }
    }
    for (int g = 0; g < m.gt.length; g++) {
      if (!taken[g] && !m.gtIgnored[g]) {
        out.add(m.gtCat[g], BACKGROUND);
      }
    }
  }
}
