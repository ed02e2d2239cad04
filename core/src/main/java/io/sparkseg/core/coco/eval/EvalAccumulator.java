package io.sparkseg.core.coco.eval;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * pycocotools' {@code accumulate}: from the {@link Accumulation} of each (category, area range),
 * cumulative true/false positives per maxDet and threshold, recall, precision made monotone from
 * the right and sampled at the recall thresholds with {@code searchsorted(..., 'left')}.
 */
public final class EvalAccumulator {
  private static final double EPS = Math.ulp(1.0);

  private EvalAccumulator() {}

  /** Accumulates; a (category, area range) without an accumulation or without GT stays -1. */
  public static EvalResult accumulate(EvalParams p, Collection<Accumulation> accumulations) {
    int T = p.iouThrCount();
    int R = p.recThrCount();
    int K = p.catCount();
    int A = p.areaCount();
    int M = p.maxDetCount();
    double[] precision = new double[EvalResult.size(p)];
    double[] scores = new double[precision.length];
    double[] recall = new double[T * K * A * M];
    Arrays.fill(precision, -1);
    Arrays.fill(scores, -1);
    Arrays.fill(recall, -1);
    EvalResult res = new EvalResult(p, precision, recall, scores);
    Map<Long, Accumulation> byKey = new HashMap<>();
    for (Accumulation acc : accumulations) {
      int k = p.catIndex(acc.categoryId());
      if (k < 0) {
        continue;
      }
      long key = (long) k * A + acc.areaIndex();
      byKey.merge(key, acc, Accumulation::merge);
    }
    double[] tp = new double[0];
    double[] fp = new double[0];
    double[] rc = new double[0];
    double[] pr = new double[0];
    for (int k = 0; k < K; k++) {
      for (int a = 0; a < A; a++) {
        Accumulation acc = byKey.get((long) k * A + a);
        if (acc == null || acc.numGt() == 0) {
          continue;
        }
        double npig = acc.numGt();
        for (int m = 0; m < M; m++) {
          int maxDet = p.maxDets()[m];
          int[] idx = new int[acc.size()];
          int nd = 0;
          for (int i = 0; i < acc.size(); i++) {
            if (acc.rank(i) < maxDet) {
              idx[nd++] = i;
            }
          }
          if (rc.length < nd) {
            tp = new double[nd];
            fp = new double[nd];
            rc = new double[nd];
            pr = new double[nd];
          }
          for (int t = 0; t < T; t++) {
            double tps = 0;
            double fps = 0;
            for (int j = 0; j < nd; j++) {
              byte s = acc.state(idx[j], t);
              if (s == ImageEval.TP) {
                tps++;
              } else if (s == ImageEval.FP) {
                fps++;
              }
              tp[j] = tps;
              fp[j] = fps;
              rc[j] = tps / npig;
              pr[j] = tps / (fps + tps + EPS);
            }
            res.setRecall(t, k, a, m, nd > 0 ? rc[nd - 1] : 0);
            for (int i = nd - 1; i > 0; i--) {
              if (pr[i] > pr[i - 1]) {
                pr[i - 1] = pr[i];
              }
            }
            int pi = 0;
            for (int r = 0; r < R; r++) {
              double thr = p.recThr(r);
              while (pi < nd && rc[pi] < thr) {
                pi++;
              }
              if (pi >= nd) {
                for (int rr = r; rr < R; rr++) {
                  res.set(t, rr, k, a, m, 0, 0);
                }
                break;
              }
              res.set(t, r, k, a, m, pr[pi], acc.score(idx[pi]));
            }
          }
        }
      }
    }
    return res;
  }
}
