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
