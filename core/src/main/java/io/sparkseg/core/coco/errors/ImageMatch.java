package io.sparkseg.core.coco.errors;

import io.sparkseg.core.coco.eval.EvalDt;
import io.sparkseg.core.coco.eval.EvalGt;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.ImageEval;
import io.sparkseg.core.mask.BoxIou;
import io.sparkseg.core.mask.MaskIou;
import io.sparkseg.core.mask.Rle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One image's detections and ground truth of every category side by side, with the IoU of every
 * detection with every ground truth (the error tests look across classes) and COCO's matching at
 * one IoU threshold and area range "all": the same kept detections, order and match rules as
 * {@link io.sparkseg.core.coco.eval.ImageEvaluator}, which keeps only the states and not which
 * ground truth each detection matched.
 */
final class ImageMatch {
  final int[] detCat;
  final EvalDt[] det;
  final int[] gtCat;
  final EvalGt[] gt;
  /** COCO's ignore at area "all": crowd, or outside the range. */
  final boolean[] gtIgnored;
  /** {@code [d][g]}, crowd ground truth with crowd IoU. */
  final double[][] iou;
  /** {@link ImageEval#TP}, {@link ImageEval#FP} or {@link ImageEval#IGNORED}. */
  final byte[] state;
  /** A true positive's ground truth, else -1. */
  final int[] matched;
  /** Matched by a true positive. */
  final boolean[] used;

  private ImageMatch(int[] detCat, EvalDt[] det, int[] gtCat, EvalGt[] gt, boolean[] gtIgnored, double[][] iou) {
    this.detCat = detCat;
    this.det = det;
    this.gtCat = gtCat;
    this.gt = gt;
    this.gtIgnored = gtIgnored;
    this.iou = iou;
    this.state = new byte[det.length];
    this.matched = new int[det.length];
    this.used = new boolean[gt.length];
  }

  /** Matches one image at IoU {@code thr}; categories outside {@code p} are left out. */
  static ImageMatch of(EvalParams p, double thr, Map<Integer, List<EvalGt>> gts, Map<Integer, List<EvalDt>> dts) {
    List<Integer> dc = new ArrayList<>();
    List<EvalDt> dl = new ArrayList<>();
    List<Integer> gc = new ArrayList<>();
    List<EvalGt> gl = new ArrayList<>();
    for (int k = 0; k < p.catCount(); k++) {
      int cat = p.catId(k);
      for (EvalGt g : gts.getOrDefault(cat, List.of())) {
        gc.add(cat);
        gl.add(g);
      }
      List<EvalDt> d = new ArrayList<>(dts.getOrDefault(cat, List.of()));
      // ImageEvaluator's order: descending score, ties by id; then the maxDet cut
      d.sort(Comparator.comparingLong(EvalDt::id));
      d.sort((a, b) -> a.score() > b.score() ? -1 : (a.score() < b.score() ? 1 : 0));
      for (EvalDt e : d.subList(0, Math.min(d.size(), p.maxDetLast()))) {
        dc.add(cat);
        dl.add(e);
      }
    }
    int all = p.areaIndex("all");
    double lo = p.areaLo(all);
    double hi = p.areaHi(all);
    EvalGt[] gt = gl.toArray(new EvalGt[0]);
    boolean[] ignored = new boolean[gt.length];
    for (int g = 0; g < gt.length; g++) {
      ignored[g] = gt[g].ignore() || gt[g].area() < lo || gt[g].area() > hi;
    }
    EvalDt[] det = dl.toArray(new EvalDt[0]);
    ImageMatch m = new ImageMatch(dc.stream().mapToInt(Integer::intValue).toArray(), det,
        gc.stream().mapToInt(Integer::intValue).toArray(), gt, ignored, ious(p, det, gt));
    m.match(thr, lo, hi);
    return m;
  }

  private static double[][] ious(EvalParams p, EvalDt[] det, EvalGt[] gt) {
    boolean[] crowd = new boolean[gt.length];
    for (int g = 0; g < gt.length; g++) {
      crowd[g] = gt[g].crowd();
    }
    switch (p.iouType()) {
      case BBOX -> {
        double[][] db = new double[det.length][];
        for (int d = 0; d < det.length; d++) {
          db[d] = det[d].bbox();
        }
        double[][] gb = new double[gt.length][];
        for (int g = 0; g < gt.length; g++) {
          gb[g] = gt[g].bbox();
        }
        return BoxIou.matrix(db, gb, crowd);
      }
      case SEGM -> {
        List<Rle> dm = new ArrayList<>(det.length);
        for (EvalDt d : det) {
          dm.add(d.mask());
        }
        List<Rle> gm = new ArrayList<>(gt.length);
        for (EvalGt g : gt) {
          gm.add(g.mask());
        }
        return MaskIou.matrix(dm, gm, crowd);
      }
      default -> throw new IllegalArgumentException("error analysis is for bbox and segm, not " + p.iouType().cocoName());
    }
  }

  /** pycocotools' evaluateImg at one threshold, category by category. */
  private void match(double thr, double lo, double hi) {
    double t = Math.min(thr, 1 - 1e-10);
    java.util.Arrays.fill(matched, -1);
    boolean[] taken = new boolean[gt.length];
    for (int d = 0; d < det.length; d++) {
      int cat = detCat[d];
      double best = t;
      int m = -1;
      // the category's ground truth, not ignored first (file order within each)
      for (int pass = 0; pass < 2; pass++) {
        for (int g = 0; g < gt.length; g++) {
          if (gtCat[g] != cat || gtIgnored[g] != (pass == 1)) {
            continue;
          }
          if (taken[g] && !gt[g].crowd()) {
            continue;
          }
          if (m > -1 && !gtIgnored[m] && gtIgnored[g]) {
            break;
          }
          if (iou[d][g] < best) {
            continue;
          }
          best = iou[d][g];
          m = g;
        }
        if (m > -1 && !gtIgnored[m]) {
          break;
        }
      }
      if (m == -1) {
        double ar = det[d].area();
        state[d] = ar < lo || ar > hi ? ImageEval.IGNORED : ImageEval.FP;
        continue;
      }
      taken[m] = true;
      if (gtIgnored[m]) {
        state[d] = ImageEval.IGNORED;
      } else {
        state[d] = ImageEval.TP;
        matched[d] = m;
        used[m] = true;
      }
    }
  }

  /** Detection indices by descending score, ties by id (TIDE's order for the error tests). */
  Integer[] byScore() {
    Integer[] o = new Integer[det.length];
    for (int i = 0; i < o.length; i++) {
      o[i] = i;
    }
    java.util.Arrays.sort(o, (a, b) -> {
      int c = Double.compare(det[b].score(), det[a].score());
      return c != 0 ? c : Long.compare(det[a].id(), det[b].id());
    });
    return o;
  }
}
