package io.sparkseg.core.coco.eval;

import io.sparkseg.core.coco.CocoAnnotation;
import io.sparkseg.core.coco.CocoCategory;
import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoImage;
import io.sparkseg.core.coco.InParallel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Single-machine COCO evaluation, the equivalent of pycocotools' {@code COCOeval(gt,
 * gt.loadRes(dts), iouType)} with {@code evaluate(); accumulate()}: prepares each (image,
 * category), runs {@link ImageEvaluator} on it and {@link EvalAccumulator} over the results.
 */
public final class CocoEvaluator {
  private CocoEvaluator() {}

  /**
   * The default parameters for a dataset: all its categories, or for keypoints the categories
   * that declare keypoints, with their OKS sigmas (declared {@code sigmas}, else COCO's).
   */
  public static EvalParams defaultParams(CocoDataset gt, IouType type) {
    int[] cats = type == IouType.KEYPOINTS ? gt.keypointCategoryIds() : gt.categoryIds();
    EvalParams p = EvalParams.defaults(type, cats);
    if (type == IouType.KEYPOINTS) {
      p = p.withKeypointSigmas(keypointSigmas(gt));
    }
    return p;
  }

  /** Per keypoint category: its declared sigmas, else COCO's 17 if it has 17 keypoints. */
  public static Map<Integer, double[]> keypointSigmas(CocoDataset gt) {
    Map<Integer, double[]> m = new HashMap<>();
    for (CocoCategory c : gt.categories()) {
      if (!c.hasKeypoints()) {
        continue;
      }
      if (c.keypointSigmas() != null) {
        m.put(c.id(), c.keypointSigmas());
      } else if (c.keypoints().size() != EvalParams.COCO_KEYPOINT_SIGMAS.length) {
        throw new IllegalArgumentException("category id " + c.id() + " has " + c.keypoints().size()
            + " keypoints and no \"sigmas\"; COCO's OKS sigmas are for 17 keypoints");
      }
    }
    return m;
  }

  /** Evaluates with pycocotools' defaults and loadRes rules. */
  public static EvalResult evaluate(CocoDataset gt, List<CocoDetection> dts, IouType type) {
    return evaluate(gt, dts, defaultParams(gt, type), LoadRes.AreaSource.AUTO);
  }

  /** Evaluates with the given parameters and loadRes area source. */
  public static EvalResult evaluate(CocoDataset gt, List<CocoDetection> dts, EvalParams p, LoadRes.AreaSource src) {
    List<LoadedDetection> loaded = LoadRes.apply(gt, dts, src);
    return evaluateLoaded(gt, loaded, p);
  }

  /** Evaluates detections that went through {@link LoadRes} already. */
  public static EvalResult evaluateLoaded(CocoDataset gt, List<LoadedDetection> loaded, EvalParams p) {
    List<ImageEval> evals = evaluateImages(gt, loaded, p);
    return accumulate(p, evals);
  }

  /**
   * As {@link #evaluateLoaded}, the images and then the categories spread over the cores ({@link
   * InParallel}: one process using every core; the same numbers).
   */
  public static EvalResult evaluateLoadedInParallel(CocoDataset gt, List<LoadedDetection> loaded, EvalParams p) {
    Map<Long, Map<Integer, List<EvalDt>>> dtsByImage = detectionsByImage(gt, loaded, p);
    List<Long> ids = java.util.Arrays.stream(gt.imageIds()).boxed().toList();
    List<ImageEval> evals = InParallel.map(ids,
            id -> evaluateImage(p, id, groundTruth(gt, gt.image(id), p), dtsByImage.getOrDefault(id, Map.of())))
        .stream().flatMap(List::stream).toList();
    Map<Integer, List<ImageEval>> byCat = new LinkedHashMap<>();
    for (ImageEval e : evals) {
      byCat.computeIfAbsent(e.categoryId(), k -> new ArrayList<>()).add(e);
    }
    // each category accumulated alone, as the Spark path does it
    List<EvalResult> parts = InParallel.map(new ArrayList<>(byCat.entrySet()),
        e -> EvalAccumulator.accumulate(p.withCatIds(new int[] {e.getKey()}),
            java.util.Arrays.asList(Accumulation.ofAllAreas(e.getValue(), p.areaCount(), p.iouThrCount()))));
    return EvalResult.ofParts(p, parts);
  }

  /** Per-image evaluation of every (image, category), images in ascending id order. */
  public static List<ImageEval> evaluateImages(CocoDataset gt, List<LoadedDetection> loaded, EvalParams p) {
    Map<Long, Map<Integer, List<EvalDt>>> dtsByImage = detectionsByImage(gt, loaded, p);
    List<ImageEval> out = new ArrayList<>();
    for (long imageId : gt.imageIds()) {
      CocoImage img = gt.image(imageId);
      Map<Integer, List<EvalGt>> gts = groundTruth(gt, img, p);
      Map<Integer, List<EvalDt>> dts = dtsByImage.getOrDefault(imageId, Map.of());
      out.addAll(evaluateImage(p, imageId, gts, dts));
    }
    return out;
  }

  /** The evaluated detections of each image by category, in the given order. */
  static Map<Long, Map<Integer, List<EvalDt>>> detectionsByImage(CocoDataset gt, List<LoadedDetection> loaded,
      EvalParams p) {
    IouType type = p.iouType();
    Map<Long, Map<Integer, List<EvalDt>>> dtsByImage = new HashMap<>();
    for (LoadedDetection d : loaded) {
      if (p.catIndex(d.categoryId()) < 0) {
        continue;
      }
      CocoImage img = gt.image(d.imageId());
      if (img == null) {
        throw new IllegalArgumentException("Results do not correspond to current coco set: detection id " + d.id()
            + " has image_id " + d.imageId() + ", which is not in the ground truth");
      }
      dtsByImage.computeIfAbsent(d.imageId(), k -> new LinkedHashMap<>())
          .computeIfAbsent(d.categoryId(), k -> new ArrayList<>())
          .add(EvalInputs.dt(type, d, img.height(), img.width()));
    }
    return dtsByImage;
  }

  /**
   * The ground truth of one image per evaluated category, in file order (pycocotools'
   * {@code _gts[imageId, catId]}).
   */
  public static Map<Integer, List<EvalGt>> groundTruth(CocoDataset gt, CocoImage img, EvalParams p) {
    Map<Integer, List<EvalGt>> gts = new HashMap<>();
    for (CocoAnnotation a0 : gt.annotationsOfImage(img.id())) {
      CocoAnnotation a = gt.annotation(a0.id()); // pycocotools looks annotations up by id
      if (p.catIndex(a.categoryId()) < 0) {
        continue;
      }
      gts.computeIfAbsent(a.categoryId(), k -> new ArrayList<>()).add(EvalInputs.gt(p.iouType(), a, img));
    }
    return gts;
  }

  /** Evaluates every evaluated category of one image; categories with nothing are skipped. */
  public static List<ImageEval> evaluateImage(EvalParams p, long imageId, Map<Integer, List<EvalGt>> gts,
      Map<Integer, List<EvalDt>> dts) {
    List<ImageEval> out = new ArrayList<>();
    for (int k = 0; k < p.catCount(); k++) {
      int cat = p.catId(k);
      List<EvalGt> g = gts.getOrDefault(cat, List.of());
      List<EvalDt> d = dts.getOrDefault(cat, List.of());
      ImageEval e = ImageEvaluator.evaluate(p, imageId, cat, g, d);
      if (e != null) {
        out.add(e);
      }
    }
    return out;
  }

  /** Accumulates per-image results (any order). */
  public static EvalResult accumulate(EvalParams p, List<ImageEval> evals) {
    Map<Integer, List<ImageEval>> byCat = new LinkedHashMap<>();
    for (ImageEval e : evals) {
      byCat.computeIfAbsent(e.categoryId(), k -> new ArrayList<>()).add(e);
    }
    List<Accumulation> accs = new ArrayList<>();
    for (List<ImageEval> l : byCat.values()) {
      accs.addAll(java.util.Arrays.asList(Accumulation.ofAllAreas(l, p.areaCount(), p.iouThrCount())));
    }
    return EvalAccumulator.accumulate(p, accs);
  }
}
