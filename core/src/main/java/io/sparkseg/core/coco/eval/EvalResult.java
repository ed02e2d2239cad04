package io.sparkseg.core.coco.eval;

import java.io.Serializable;

/**
 * The accumulated evaluation ({@code COCOeval.eval}): precision {@code [T][R][K][A][M]}, recall
 * {@code [T][K][A][M]} and the score at each recall threshold, with -1 where a (category, area,
 * maxDet) has no non-ignored ground truth. Immutable.
 */
public final class EvalResult implements Serializable {
  private static final long serialVersionUID = 1L;

  private final EvalParams params;
  private final double[] precision;
  private final double[] recall;
  private final double[] scores;

  EvalResult(EvalParams params, double[] precision, double[] recall, double[] scores) {
    this.params = params;
    this.precision = precision;
    this.recall = recall;
    this.scores = scores;
  }

  public EvalParams params() {
    return params;
  }

  private int pIndex(int t, int r, int k, int a, int m) {
    return (((t * params.recThrCount() + r) * params.catCount() + k) * params.areaCount() + a) * params.maxDetCount() + m;
  }

  private int rIndex(int t, int k, int a, int m) {
    return ((t * params.catCount() + k) * params.areaCount() + a) * params.maxDetCount() + m;
  }

  /** {@code eval['precision'][t, r, k, a, m]}. */
  public double precision(int t, int r, int k, int a, int m) {
    return precision[pIndex(t, r, k, a, m)];
  }

  /** {@code eval['recall'][t, k, a, m]}. */
  public double recall(int t, int k, int a, int m) {
    return recall[rIndex(t, k, a, m)];
  }

  /** {@code eval['scores'][t, r, k, a, m]}: the detection score where recall threshold r is reached. */
  public double score(int t, int r, int k, int a, int m) {
    return scores[pIndex(t, r, k, a, m)];
  }

  /**
   * The result over {@code p}'s categories from results each accumulated over a part of them
   * ({@link EvalParams#withCatIds}); a category in no part stays -1.
   */
  public static EvalResult ofParts(EvalParams p, Iterable<EvalResult> parts) {
    double[] precision = new double[size(p)];
    double[] scores = new double[precision.length];
    double[] recall = new double[p.iouThrCount() * p.catCount() * p.areaCount() * p.maxDetCount()];
    java.util.Arrays.fill(precision, -1);
    java.util.Arrays.fill(scores, -1);
    java.util.Arrays.fill(recall, -1);
    EvalResult res = new EvalResult(p, precision, recall, scores);
    for (EvalResult part : parts) {
      EvalParams q = part.params;
      for (int kq = 0; kq < q.catCount(); kq++) {
        int k = p.catIndex(q.catId(kq));
        for (int t = 0; t < p.iouThrCount() && k >= 0; t++) {
          for (int a = 0; a < p.areaCount(); a++) {
            for (int m = 0; m < p.maxDetCount(); m++) {
              res.setRecall(t, k, a, m, part.recall(t, kq, a, m));
              for (int r = 0; r < p.recThrCount(); r++) {
                res.set(t, r, k, a, m, part.precision(t, r, kq, a, m), part.score(t, r, kq, a, m));
              }
            }
          }
        }
      }
    }
    return res;
  }

  static int size(EvalParams p) {
    return p.iouThrCount() * p.recThrCount() * p.catCount() * p.areaCount() * p.maxDetCount();
  }

  void set(int t, int r, int k, int a, int m, double prec, double score) {
    precision[pIndex(t, r, k, a, m)] = prec;
    scores[pIndex(t, r, k, a, m)] = score;
  }

  void setRecall(int t, int k, int a, int m, double v) {
    recall[rIndex(t, k, a, m)] = v;
  }
}
