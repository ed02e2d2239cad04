package io.sparkseg.core.coco.errors;

import io.sparkseg.core.coco.eval.ImageEval;

/**
 * TIDE's error tests on one matched image: each false positive, in descending score order, gets the
 * first type whose test it passes (Loc, Cls, Dupe, Bkg, else Both; Bkg outright without ground
 * truth), each unmatched ground truth that no Cls or Loc error points to is a Miss. For the oracle
 * fixes it records which ground truth a Cls/Loc error points to and whether it is the one fixed
 * (TIDE's BestGTMatch: the highest-scoring error per unmatched ground truth). Crowd ground truth
 * takes no part.
 */
final class ErrorClassifier {
  /** Per detection: the error type, or null (true positive, ignored). */
  final ErrorType[] type;
  /** Per detection: the ground truth a Cls/Loc error points to, else -1. */
  final int[] target;
  /** Per detection: a Cls/Loc error the oracle turns into a true positive. */
  final boolean[] fixed;
  /** Per ground truth: missed. */
  final boolean[] missed;

  private ErrorClassifier(int dets, int gts) {
    type = new ErrorType[dets];
    target = new int[dets];
    fixed = new boolean[dets];
    missed = new boolean[gts];
    java.util.Arrays.fill(target, -1);
  }

  static ErrorClassifier of(ImageMatch m) {
    ErrorClassifier c = new ErrorClassifier(m.det.length, m.gt.length);
    int[] best = new int[m.gt.length];
    java.util.Arrays.fill(best, -1);
    boolean[] usable = new boolean[m.gt.length];
    boolean anyGt = false;
    for (boolean ig : m.gtIgnored) {
      anyGt |= !ig;
    }
    for (int d : m.byScore()) {
      if (m.state[d] != ImageEval.FP) {
        continue;
      }
      if (!anyGt) {
        c.type[d] = ErrorType.BKG;
        continue;
      }
      int same = argmax(m, d, true, false);
      int other = argmax(m, d, false, false);
      double sameIou = same < 0 ? 0 : m.iou[d][same];
      double otherIou = other < 0 ? 0 : m.iou[d][other];
      int dupe = argmax(m, d, true, true);
      if (sameIou >= ErrorThresholds.BACKGROUND && sameIou < ErrorThresholds.FOREGROUND) {
        c.type[d] = ErrorType.LOC;
        c.target[d] = same;
      } else if (otherIou >= ErrorThresholds.FOREGROUND) {
        c.type[d] = ErrorType.CLS;
        c.target[d] = other;
      } else if (dupe >= 0 && m.iou[d][dupe] >= ErrorThresholds.FOREGROUND) {
        c.type[d] = ErrorType.DUPE;
      } else if (Math.max(sameIou, otherIou) <= ErrorThresholds.BACKGROUND) {
        c.type[d] = ErrorType.BKG;
      } else {
        c.type[d] = ErrorType.BOTH;
      }
      int g = c.target[d];
      if (g >= 0 && !m.used[g]) {
        usable[g] = true;
        if (best[g] < 0) { // byScore order: the first is the highest-scoring
          best[g] = d;
        }
      }
    }
    for (int g : best) {
      if (g >= 0) {
        c.fixed[g] = true;
      }
    }
    for (int g = 0; g < m.gt.length; g++) {
      c.missed[g] = !m.gtIgnored[g] && !m.used[g] && !usable[g];
    }
    return c;
  }

  /**
   * The non-crowd ground truth of the detection's class ({@code sameClass}) or of the other classes
   * with the highest IoU, first on ties; only matched ones if {@code usedOnly}; -1 if none.
   */
  private static int argmax(ImageMatch m, int d, boolean sameClass, boolean usedOnly) {
    int best = -1;
    for (int g = 0; g < m.gt.length; g++) {
      if (m.gtIgnored[g] || (m.gtCat[g] == m.detCat[d]) != sameClass || (usedOnly && !m.used[g])) {
        continue;
      }
      if (best < 0 || m.iou[d][g] > m.iou[d][best]) {
        best = g;
      }
    }
    return best;
  }
}
