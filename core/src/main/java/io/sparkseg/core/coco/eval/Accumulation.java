package io.sparkseg.core.coco.eval;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * The detections of one (category, area range) over many images, in pycocotools' accumulate
 * order: descending score, ties by ascending image id, then by rank within the image. Each entry
 * keeps its rank within its (image, category) so every maxDet can be cut from it, and its states
 * per IoU threshold; {@code numGt} counts the non-ignored ground truths. {@link #merge} is
 * associative and commutative, so partial accumulations can be reduced in any grouping (e.g.
 * Spark's {@code reduceByKey}). Immutable.
 */
public final class Accumulation implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int categoryId;
  private final int areaIndex;
  private final int thresholds;
  private final long numGt;
  private final double[] scores;
  private final long[] imageIds;
  private final int[] ranks;
  private final byte[] states; // [i * thresholds + t]

  private Accumulation(int categoryId, int areaIndex, int thresholds, long numGt, double[] scores, long[] imageIds,
      int[] ranks, byte[] states) {
    this.categoryId = categoryId;
    this.areaIndex = areaIndex;
    this.thresholds = thresholds;
    this.numGt = numGt;
    this.scores = scores;
    this.imageIds = imageIds;
    this.ranks = ranks;
    this.states = states;
  }

  /** The contribution of one (image, category) evaluation to area range {@code areaIndex}. */
  public static Accumulation of(ImageEval e, int areaIndex, int thresholds) {
    return ofAll(List.of(e), areaIndex, thresholds);
  }

  /** The accumulation of many (image, category) evaluations of one category, in one step. */
  public static Accumulation ofAll(List<ImageEval> evals, int areaIndex, int thresholds) {
    return ofAllAreas(evals, areaIndex + 1, thresholds)[areaIndex];
  }

  /**
   * The accumulations of many (image, category) evaluations of one category for area ranges
   * {@code 0..areas-1}; the detections are sorted once for all of them.
   */
  public static Accumulation[] ofAllAreas(List<ImageEval> evals, int areas, int thresholds) {
    if (evals.isEmpty()) {
      throw new IllegalArgumentException("no evaluations");
    }
    int cat = evals.get(0).categoryId();
    int n = 0;
    for (ImageEval e : evals) {
      if (e.categoryId() != cat) {
        throw new IllegalArgumentException("evaluations of categories " + cat + " and " + e.categoryId() + " mixed");
      }
      n += e.detectionCount();
    }
    // concatenate in (image id, rank) order, then sort stably by descending score: the sort key
    // is (index of the score among the distinct scores, descending; concatenation position)
    ImageEval[] byImage = evals.toArray(new ImageEval[0]);
    Arrays.sort(byImage, (a, b) -> Long.compare(a.imageId(), b.imageId()));
    int[] evalOf = new int[n];
    int[] rankOf = new int[n];
    double[] sc = new double[n];
    int i = 0;
    for (int e = 0; e < byImage.length; e++) {
      for (int d = 0; d < byImage[e].detectionCount(); d++) {
        evalOf[i] = e;
        rankOf[i] = d;
        double v = byImage[e].score(d);
        sc[i] = v == 0 ? 0.0 : v; // -0.0 ties with 0.0, as in numpy
        i++;
      }
    }
    double[] distinct = sc.clone();
    Arrays.sort(distinct);
    int u = 0;
    for (int j = 0; j < n; j++) {
      if (j == 0 || !(distinct[j] == distinct[u - 1])) {
        distinct[u++] = distinct[j];
      }
    }
    long[] keys = new long[n];
    for (int j = 0; j < n; j++) {
      int r = Arrays.binarySearch(distinct, 0, u, sc[j]);
      keys[j] = ((long) (u - 1 - r) << 32) | j;
    }
    Arrays.sort(keys);
    Accumulation[] out = new Accumulation[areas];
    for (int a = 0; a < areas; a++) {
      long numGt = 0;
      for (ImageEval e : byImage) {
        numGt += e.numGt(a);
      }
      double[] sc2 = new double[n];
      long[] img2 = new long[n];
      int[] rk2 = new int[n];
      byte[] st2 = new byte[n * thresholds];
      for (int j = 0; j < n; j++) {
        int o = (int) keys[j];
        ImageEval e = byImage[evalOf[o]];
        sc2[j] = sc[o];
        img2[j] = e.imageId();
        rk2[j] = rankOf[o];
        for (int t = 0; t < thresholds; t++) {
          st2[j * thresholds + t] = e.state(a, t, rankOf[o]);
        }
      }
      out[a] = new Accumulation(cat, a, thresholds, numGt, sc2, img2, rk2, st2);
    }
    return out;
  }

  private static int compare(double sa, long ia, int ra, double sb, long ib, int rb) {
    if (sa > sb) {
      return -1;
    }
    if (sa < sb) {
      return 1;
    }
    if (ia != ib) {
      return ia < ib ? -1 : 1;
    }
    return Integer.compare(ra, rb);
  }

  /** Both accumulations together (a sorted merge). */
  public Accumulation merge(Accumulation o) {
    if (o.categoryId != categoryId || o.areaIndex != areaIndex || o.thresholds != thresholds) {
      throw new IllegalArgumentException("cannot merge accumulations of different (category, area range)");
    }
    int n = scores.length + o.scores.length;
    double[] sc = new double[n];
    long[] img = new long[n];
    int[] rk = new int[n];
    byte[] st = new byte[n * thresholds];
    int i = 0;
    int j = 0;
    for (int k = 0; k < n; k++) {
      boolean takeMine = j >= o.scores.length
          || (i < scores.length && compare(scores[i], imageIds[i], ranks[i], o.scores[j], o.imageIds[j], o.ranks[j]) <= 0);
      Accumulation src = takeMine ? this : o;
      int s = takeMine ? i++ : j++;
      sc[k] = src.scores[s];
      img[k] = src.imageIds[s];
      rk[k] = src.ranks[s];
      System.arraycopy(src.states, s * thresholds, st, k * thresholds, thresholds);
    }
    return new Accumulation(categoryId, areaIndex, thresholds, numGt + o.numGt, sc, img, rk, st);
  }

  public int categoryId() {
    return categoryId;
  }

  public int areaIndex() {
    return areaIndex;
  }

  /** The number of non-ignored ground truths ({@code npig}). */
  public long numGt() {
    return numGt;
  }

  /** The number of detections (at the largest maxDet). */
  public int size() {
    return scores.length;
  }

  double score(int i) {
    return scores[i];
  }

  int rank(int i) {
    return ranks[i];
  }

  byte state(int i, int t) {
    return states[i * thresholds + t];
  }
}
