package io.sparkseg.core.coco.eval;

import java.io.Serializable;

/**
 * The result of evaluating one (image, category) ({@code evaluateImg} for every area range at the
 * largest maxDet): the kept detections' scores in evaluation order and, per area range and IoU
 * threshold, whether each is a true positive, a false positive or ignored, plus the number of
 * non-ignored ground truths. Small and serialisable, so it can travel from a Spark executor to
 * the accumulation. Immutable by convention (arrays are not copied).
 */
public final class ImageEval implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Detection state: a false positive. */
  public static final byte FP = 0;
  /** Detection state: a true positive. */
  public static final byte TP = 1;
  /** Detection state: ignored (matched to an ignored GT, or unmatched and outside the area range). */
  public static final byte IGNORED = 2;

  private final long imageId;
  private final int categoryId;
  private final double[] scores;
  private final int[] numGt;
  private final byte[][] states;

  /**
   * @param scores the D kept detections' scores, highest first (stable)
   * @param numGt per area range, the number of non-ignored ground truths
   * @param states per area range, {@code T*D} states, threshold-major ({@code [t*D + d]})
   */
  public ImageEval(long imageId, int categoryId, double[] scores, int[] numGt, byte[][] states) {
    this.imageId = imageId;
    this.categoryId = categoryId;
    this.scores = scores;
    this.numGt = numGt;
    this.states = states;
  }

  public long imageId() {
    return imageId;
  }

  public int categoryId() {
    return categoryId;
  }

  /** The number of kept detections D. */
  public int detectionCount() {
    return scores.length;
  }

  public double score(int d) {
    return scores[d];
  }

  public int numGt(int area) {
    return numGt[area];
  }

  /** The state ({@link #TP}, {@link #FP}, {@link #IGNORED}) of detection {@code d} at threshold {@code t}. */
  public byte state(int area, int t, int d) {
    return states[area][t * scores.length + d];
  }
}
