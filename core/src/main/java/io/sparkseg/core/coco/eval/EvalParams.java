package io.sparkseg.core.coco.eval;

import io.sparkseg.core.mask.MaskBoundary;
import java.io.Serializable;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The parameters of a COCO evaluation, with pycocotools' defaults ({@code Params}): IoU
 * thresholds {@code linspace(.5, .95, 10)}, recall thresholds {@code linspace(0, 1, 101)}, area
 * ranges and maxDets per iouType, the OKS sigmas per keypoint category, and for boundary the
 * boundary width as a fraction of the image diagonal. Immutable.
 */
public final class EvalParams implements Serializable {
  private static final long serialVersionUID = 1L;

  /** COCO's 17 person keypoint sigmas ({@code np.array([.26, .25, ...]) / 10.0}). */
  public static final double[] COCO_KEYPOINT_SIGMAS;

  static {
    double[] s = {.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89};
    for (int i = 0; i < s.length; i++) {
      s[i] = s[i] / 10.0;
    }
    COCO_KEYPOINT_SIGMAS = s;
  }

  private final IouType iouType;
  private final int[] catIds;
  private final double[] iouThrs;
  private final double[] recThrs;
  private final int[] maxDets;
  private final double[][] areaRng;
  private final String[] areaRngLbl;
  private final Map<Integer, double[]> keypointSigmas;
  private final double boundaryDilationRatio;

  private EvalParams(IouType iouType, int[] catIds, double[] iouThrs, double[] recThrs, int[] maxDets,
      double[][] areaRng, String[] areaRngLbl, Map<Integer, double[]> keypointSigmas, double boundaryDilationRatio) {
    this.iouType = iouType;
    this.catIds = Arrays.stream(catIds).distinct().sorted().toArray();
    this.iouThrs = iouThrs;
    this.recThrs = recThrs;
    this.maxDets = Arrays.stream(maxDets).sorted().toArray();
    this.areaRng = areaRng;
    this.areaRngLbl = areaRngLbl;
    this.keypointSigmas = Map.copyOf(keypointSigmas);
    MaskBoundary.dilation(1, 1, boundaryDilationRatio); // fails for a ratio that is not a number > 0
    this.boundaryDilationRatio = boundaryDilationRatio;
  }

  /** pycocotools' default parameters for {@code iouType} over the categories {@code catIds}. */
  public static EvalParams defaults(IouType iouType, int[] catIds) {
    double[] iou = linspace(.5, 0.95, (int) Math.round((0.95 - .5) / .05) + 1);
    double[] rec = linspace(.0, 1.00, (int) Math.round((1.00 - .0) / .01) + 1);
    if (iouType == IouType.KEYPOINTS) {
      return new EvalParams(iouType, catIds, iou, rec, new int[] {20},
          new double[][] {{0, 1e5 * 1e5}, {32 * 32, 96 * 96}, {96 * 96, 1e5 * 1e5}},
          new String[] {"all", "medium", "large"}, Map.of(), MaskBoundary.DEFAULT_DILATION_RATIO);
    }
    return new EvalParams(iouType, catIds, iou, rec, new int[] {1, 10, 100},
        new double[][] {{0, 1e5 * 1e5}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e5 * 1e5}},
        new String[] {"all", "small", "medium", "large"}, Map.of(), MaskBoundary.DEFAULT_DILATION_RATIO);
  }

  /** {@code np.linspace(start, stop, num)}: {@code i*step + start}, the last value exactly {@code stop}. */
  static double[] linspace(double start, double stop, int num) {
    double step = (stop - start) / (num - 1);
    double[] y = new double[num];
    for (int i = 0; i < num; i++) {
      y[i] = i * step + start;
    }
    y[num - 1] = stop;
    return y;
  }

  /** These parameters with per-category OKS sigmas (categories not listed use the COCO sigmas). */
  public EvalParams withKeypointSigmas(Map<Integer, double[]> sigmas) {
    Map<Integer, double[]> m = new HashMap<>(keypointSigmas);
    sigmas.forEach((k, v) -> m.put(k, v.clone()));
    return new EvalParams(iouType, catIds, iouThrs, recThrs, maxDets, areaRng, areaRngLbl, m, boundaryDilationRatio);
  }

  /** These parameters at other IoU thresholds (e.g. the one an error analysis works at). */
  public EvalParams withIouThresholds(double... thresholds) {
    if (thresholds.length == 0) {
      throw new IllegalArgumentException("no IoU threshold");
    }
    return new EvalParams(iouType, catIds, thresholds.clone(), recThrs, maxDets, areaRng, areaRngLbl, keypointSigmas,
        boundaryDilationRatio);
  }

  /** These parameters over other categories (e.g. one, to accumulate categories apart). */
  public EvalParams withCatIds(int[] ids) {
    return new EvalParams(iouType, ids, iouThrs, recThrs, maxDets, areaRng, areaRngLbl, keypointSigmas,
        boundaryDilationRatio);
  }

  /** These parameters with another boundary width (boundary; a fraction of the image diagonal, &gt; 0). */
  public EvalParams withBoundaryDilationRatio(double ratio) {
    return new EvalParams(iouType, catIds, iouThrs, recThrs, maxDets, areaRng, areaRngLbl, keypointSigmas, ratio);
  }

  public IouType iouType() {
    return iouType;
  }

  public int[] catIds() {
    return catIds.clone();
  }

  public int catCount() {
    return catIds.length;
  }

  public int catId(int k) {
    return catIds[k];
  }

  /** Index of a category id in {@link #catIds()}, or -1. */
  public int catIndex(int catId) {
    int i = Arrays.binarySearch(catIds, catId);
    return i >= 0 ? i : -1;
  }

  public double[] iouThrs() {
    return iouThrs.clone();
  }

  public double iouThr(int t) {
    return iouThrs[t];
  }

  public int iouThrCount() {
    return iouThrs.length;
  }

  public double[] recThrs() {
    return recThrs.clone();
  }

  public int recThrCount() {
    return recThrs.length;
  }

  double recThr(int r) {
    return recThrs[r];
  }

  public int[] maxDets() {
    return maxDets.clone();
  }

  public int maxDetCount() {
    return maxDets.length;
  }

  /** The largest maxDet: detections kept per (image, category). */
  public int maxDetLast() {
    return maxDets[maxDets.length - 1];
  }

  public int areaCount() {
    return areaRng.length;
  }

  public double areaLo(int a) {
    return areaRng[a][0];
  }

  public double areaHi(int a) {
    return areaRng[a][1];
  }

  public String areaLabel(int a) {
    return areaRngLbl[a];
  }

  /** Index of an area label, or -1. */
  public int areaIndex(String label) {
    for (int i = 0; i < areaRngLbl.length; i++) {
      if (areaRngLbl[i].equals(label)) {
        return i;
      }
    }
    return -1;
  }

  /** The boundary width of boundary evaluation as a fraction of the image diagonal. */
  public double boundaryDilationRatio() {
    return boundaryDilationRatio;
  }

  /** The OKS sigmas for a category: as set, else COCO's 17 person sigmas. */
  public double[] keypointSigmas(int catId) {
    double[] s = keypointSigmas.get(catId);
    return s != null ? s : COCO_KEYPOINT_SIGMAS;
  }
}
