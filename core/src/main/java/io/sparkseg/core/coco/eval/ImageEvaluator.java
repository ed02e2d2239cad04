package io.sparkseg.core.coco.eval;

import io.sparkseg.core.mask.BoundaryIou;
import io.sparkseg.core.mask.BoxIou;
import io.sparkseg.core.mask.MaskBoundary;
import io.sparkseg.core.mask.MaskIou;
import io.sparkseg.core.mask.Rle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Per-image evaluation: pycocotools' {@code computeIoU}/{@code computeOks} (and Boundary IoU's
 * {@code computeBoundaryIoU}) and {@code evaluateImg}
 * for one (image, category) and every area range, as a pure function of that image's ground truth
 * and detections.
 */
public final class ImageEvaluator {
  private static final double EPS = Math.ulp(1.0);

  private ImageEvaluator() {}

  /**
   * Evaluates one (image, category).
   *
   * @param gts the ground truths in annotation-file order
   * @param dts the detections in any order; they are sorted by score, ties by id
   * @return the result, or {@code null} when there is neither ground truth nor detection
   */
  public static ImageEval evaluate(EvalParams p, long imageId, int categoryId, List<EvalGt> gts, List<EvalDt> dts) {
    if (gts.isEmpty() && dts.isEmpty()) {
      return null;
    }
    List<EvalDt> dt = new ArrayList<>(dts);
    // stable sort by descending score; equal scores keep results-file order (= id order)
    dt.sort(Comparator.comparingLong(EvalDt::id));
    dt.sort((a, b) -> a.score() > b.score() ? -1 : (a.score() < b.score() ? 1 : 0));
    int maxDet = p.maxDetLast();
    if (dt.size() > maxDet) {
      dt = dt.subList(0, maxDet);
    }
    int D = dt.size();
    int G = gts.size();
    double[][] ious = D == 0 || G == 0 ? null : ious(p, imageId, categoryId, dt, gts);

    int T = p.iouThrCount();
    int A = p.areaCount();
    double[] scores = new double[D];
    for (int d = 0; d < D; d++) {
      scores[d] = dt.get(d).score();
    }
    int[] numGt = new int[A];
    byte[][] states = new byte[A][];
    boolean[] gIgnore = new boolean[G];
    int[] gtind = new int[G];
    long[] dtm = new long[T * D];
    boolean[] dtIg = new boolean[T * D];
    long[] gtm = new long[T * G];
    for (int a = 0; a < A; a++) {
      double lo = p.areaLo(a);
      double hi = p.areaHi(a);
      int n = 0;
      for (int g = 0; g < G; g++) {
        EvalGt gt = gts.get(g);
        gIgnore[g] = gt.ignore() || gt.area() < lo || gt.area() > hi;
        if (!gIgnore[g]) {
          gtind[n++] = g;
        }
      }
      numGt[a] = n;
      for (int g = 0; g < G; g++) {
        if (gIgnore[g]) {
          gtind[n++] = g;
        }
      }
      java.util.Arrays.fill(dtm, 0);
      java.util.Arrays.fill(dtIg, false);
      java.util.Arrays.fill(gtm, 0);
      if (ious != null) {
        for (int t = 0; t < T; t++) {
          double thr = Math.min(p.iouThr(t), 1 - 1e-10);
          for (int d = 0; d < D; d++) {
            double iou = thr;
            int m = -1;
            for (int gi = 0; gi < G; gi++) {
              int g = gtind[gi];
              if (gtm[t * G + gi] > 0 && !gts.get(g).crowd()) {
                continue;
              }
              if (m > -1 && !gIgnore[gtind[m]] && gIgnore[g]) {
                break;
              }
              double v = ious[d][g];
              if (v < iou) {
                continue;
              }
              iou = v;
              m = gi;
            }
            if (m == -1) {
              continue;
            }
            dtIg[t * D + d] = gIgnore[gtind[m]];
            dtm[t * D + d] = gts.get(gtind[m]).id();
            gtm[t * G + m] = dt.get(d).id();
          }
        }
      }
      byte[] st = new byte[T * D];
      for (int d = 0; d < D; d++) {
        double ar = dt.get(d).area();
        boolean outside = ar < lo || ar > hi;
        for (int t = 0; t < T; t++) {
          int i = t * D + d;
          boolean matched = dtm[i] != 0;
          boolean ig = dtIg[i] || (!matched && outside);
          st[i] = ig ? ImageEval.IGNORED : (matched ? ImageEval.TP : ImageEval.FP);
        }
      }
      states[a] = st;
    }
    return new ImageEval(imageId, categoryId, scores, numGt, states);
  }

  /** The IoU (or OKS) matrix {@code [d][g]}. */
  static double[][] ious(EvalParams p, long imageId, int categoryId, List<EvalDt> dt, List<EvalGt> gt) {
    int D = dt.size();
    int G = gt.size();
    boolean[] crowd = new boolean[G];
    for (int g = 0; g < G; g++) {
      crowd[g] = gt.get(g).crowd();
    }
    switch (p.iouType()) {
      case BBOX -> {
        double[][] db = new double[D][];
        for (int d = 0; d < D; d++) {
          db[d] = dt.get(d).bbox();
        }
        double[][] gb = new double[G][];
        for (int g = 0; g < G; g++) {
          gb[g] = gt.get(g).bbox();
        }
        return BoxIou.matrix(db, gb, crowd);
      }
      case SEGM, BOUNDARY -> {
        List<Rle> dm = new ArrayList<>(D);
        for (EvalDt d : dt) {
          dm.add(checked(d, imageId));
        }
        List<Rle> gm = new ArrayList<>(G);
        for (EvalGt g : gt) {
          gm.add(g.mask());
        }
        if (p.iouType() == IouType.SEGM) {
          return MaskIou.matrix(dm, gm, crowd);
        }
        // every mask of an image has the image's size, so one width serves them all; pairs below
        // the lowest threshold match nothing whatever their boundaries
        Rle any = dm.get(0);
        double lowest = java.util.Arrays.stream(p.iouThrs()).min().orElse(0);
        int width = MaskBoundary.dilation(any.height(), any.width(), p.boundaryDilationRatio());
        return BoundaryIou.matrix(dm, gm, crowd, width, Math.min(lowest, 1 - 1e-10));
      }
      case KEYPOINTS -> {
        return oks(p.keypointSigmas(categoryId), dt, gt);
      }
      default -> throw new IllegalStateException();
    }
  }

  /** The detection's mask, decoded now if it was kept compressed, so that a bad one is named. */
  private static Rle checked(EvalDt d, long imageId) {
    Rle m = d.mask();
    try {
      m.runCount();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("detection id " + d.id() + " (image_id " + imageId + "): " + e.getMessage(), e);
    }
    return m;
  }

  /** pycocotools' {@code computeOks}. */
  static double[][] oks(double[] sigmas, List<EvalDt> dts, List<EvalGt> gts) {
    int k = sigmas.length;
    double[] vars = new double[k];
    for (int i = 0; i < k; i++) {
      double s2 = sigmas[i] * 2;
      vars[i] = s2 * s2;
    }
    double[][] ious = new double[dts.size()][gts.size()];
    double[] e = new double[k];
    for (int j = 0; j < gts.size(); j++) {
      EvalGt gt = gts.get(j);
      double[] g = gt.keypoints();
      if (g.length != 3 * k) {
        throw new IllegalArgumentException("annotation id " + gt.id() + " has " + g.length / 3
            + " keypoints but its category has " + k + " OKS sigmas");
      }
      int k1 = 0;
      for (int i = 0; i < k; i++) {
        if (g[3 * i + 2] > 0) {
          k1++;
        }
      }
      double[] bb = gt.bbox();
      double x0 = bb[0] - bb[2];
      double x1 = bb[0] + bb[2] * 2;
      double y0 = bb[1] - bb[3];
      double y1 = bb[1] + bb[3] * 2;
      double areaEps = gt.area() + EPS;
      for (int i = 0; i < dts.size(); i++) {
        EvalDt dt = dts.get(i);
        double[] d = dt.keypoints();
        if (d.length != 3 * k) {
          throw new IllegalArgumentException("detection id " + dt.id() + " has " + d.length / 3
              + " keypoints but its category has " + k);
        }
        int n = 0;
        for (int q = 0; q < k; q++) {
          double xd = d[3 * q];
          double yd = d[3 * q + 1];
          double dx;
          double dy;
          if (k1 > 0) {
            if (!(g[3 * q + 2] > 0)) {
              continue;
            }
            dx = xd - g[3 * q];
            dy = yd - g[3 * q + 1];
          } else {
            dx = Math.max(0, x0 - xd) + Math.max(0, xd - x1);
            dy = Math.max(0, y0 - yd) + Math.max(0, yd - y1);
          }
          double ev = (dx * dx + dy * dy) / vars[q] / areaEps / 2;
          e[n++] = Math.exp(-ev);
        }
        ious[i][j] = NumpyMath.sum(e, 0, n) / n;
      }
    }
    return ious;
  }
}
