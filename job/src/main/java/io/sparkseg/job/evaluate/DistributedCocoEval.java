package io.sparkseg.job.evaluate;

import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoImage;
import io.sparkseg.core.coco.eval.Accumulation;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalAccumulator;
import io.sparkseg.core.coco.eval.EvalDt;
import io.sparkseg.core.coco.eval.EvalGt;
import io.sparkseg.core.coco.eval.EvalInputs;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.EvalResult;
import io.sparkseg.core.coco.eval.ImageEval;
import io.sparkseg.core.coco.eval.LoadedDetection;
import io.sparkseg.job.evaluate.input.DetectionFields;
import io.sparkseg.job.evaluate.input.DistributedGroundTruth;
import io.sparkseg.job.evaluate.input.ImageGroundTruth;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import scala.Tuple2;

/**
 * COCO evaluation on Spark with the same numbers as the single-machine {@link CocoEvaluator}:
 * detections are grouped by image with the ground truth the executors hold
 * ({@link DistributedGroundTruth}), each image is evaluated in an executor
 * ({@link CocoEvaluator#evaluateImage}), each partition folds its per-image results into one
 * {@link Accumulation} per (category, area range), those are merged with {@code reduceByKey}, and
 * {@link EvalAccumulator} runs on each category's merged ones in a task.
 */
public final class DistributedCocoEval {
  private DistributedCocoEval() {}

  /**
   * Evaluates loaded detections against ground truth in the driver's memory (tests, benchmarks).
   *
   * @param partitions the number of image groups (at least 1)
   */
  public static EvalResult evaluate(JavaSparkContext jsc, CocoDataset gt, JavaRDD<LoadedDetection> detections,
      EvalParams p, int partitions) {
    DistributedGroundTruth g = DistributedGroundTruth.of(jsc, gt, partitions);
    try {
      return evaluate(g, detections, p);
    } finally {
      g.unpersist();
    }
  }

  /**
   * Evaluates loaded detections against the ground truth on the executors. Each category is
   * accumulated in a task too (its merged accumulations hold one entry per detection), so the
   * driver receives only precision, recall and scores per category.
   */
  public static EvalResult evaluate(DistributedGroundTruth gt, JavaRDD<LoadedDetection> detections, EvalParams p) {
    return evaluate(gt, keyedByImage(gt, detections, p.catIds()), p);
  }

  /** As above, for detections already keyed by image id and partitioned like the ground truth ({@link #keyedByImage}). */
  public static EvalResult evaluate(DistributedGroundTruth gt, JavaPairRDD<Long, LoadedDetection> detections,
      EvalParams p) {
    List<EvalResult> perCategory = accumulations(gt, detections, p)
        .keyBy(Accumulation::categoryId)
        .groupByKey(Math.max(1, p.catCount())) // about one category per task
        .map(t -> EvalAccumulator.accumulate(p.withCatIds(new int[] {t._1()}), toList(t._2())))
        .collect();
    return EvalResult.ofParts(p, perCategory);
  }

  private static <T> List<T> toList(Iterable<T> it) {
    List<T> out = new ArrayList<>();
    it.forEach(out::add);
    return out;
  }

  /** The merged accumulations, one per (category, area range) that has any evaluated image. */
  public static JavaRDD<Accumulation> accumulations(DistributedGroundTruth gt,
      JavaPairRDD<Long, LoadedDetection> detections, EvalParams p) {
    JavaPairRDD<Long, ImageEval> evals = imageEvals(gt, detections, p);
    int areas = p.areaCount();
    int thresholds = p.iouThrCount();
    return evals.values()
        .mapPartitionsToPair(it -> partitionAccumulations(it, areas, thresholds))
        .reduceByKey(Accumulation::merge)
        .values();
  }

  /**
   * Per-image evaluation of every (image, category), keyed by image id: the detections go to their
   * image's group, where the image gives the size that masks of polygons and boxes need.
   */
  public static JavaPairRDD<Long, ImageEval> imageEvals(DistributedGroundTruth gt,
      JavaPairRDD<Long, LoadedDetection> detections, EvalParams p) {
    return byImage(gt, detections, p).flatMapToPair(t -> {
      long imageId = t._1();
      List<Tuple2<Long, ImageEval>> out = new ArrayList<>();
      for (ImageEval e : CocoEvaluator.evaluateImage(p, imageId, t._2()._1(), t._2()._2())) {
        out.add(new Tuple2<>(imageId, e));
      }
      return out.iterator();
    });
  }

  /**
   * The ground truth and detections of each image, by category (what {@link
   * CocoEvaluator#evaluateImage} takes), keyed by image id: the per-image step that the evaluation
   * and the error analysis ({@link DistributedErrorAnalysis}) share.
   */
  public static JavaPairRDD<Long, Tuple2<Map<Integer, List<EvalGt>>, Map<Integer, List<EvalDt>>>> byImage(
      DistributedGroundTruth gt, JavaPairRDD<Long, LoadedDetection> detections, EvalParams p) {
    // filtering keeps the partitioner: with detections partitioned like the ground truth, the
    // cogroup reads both sides in place (no shuffle)
    JavaPairRDD<Long, LoadedDetection> dts = detections.filter(t -> p.catIndex(t._2().categoryId()) >= 0);
    return gt.images().cogroup(dts, gt.partitioner()).flatMapToPair(t -> {
      long imageId = t._1();
      Iterator<ImageGroundTruth> img = t._2()._1().iterator();
      Iterator<LoadedDetection> ds = t._2()._2().iterator();
      if (!img.hasNext()) {
        if (!ds.hasNext()) {
          return java.util.Collections.emptyIterator();
        }
        throw new IllegalArgumentException("Results do not correspond to current coco set: detection id "
            + ds.next().id() + " has image_id " + imageId + ", which is not in the ground truth");
      }
      ImageGroundTruth g = img.next();
      CocoImage image = g.image();
      Map<Integer, List<EvalGt>> gts = CocoEvaluator.groundTruth(g.asDataset(), image, p);
      Map<Integer, List<EvalDt>> d = new HashMap<>();
      while (ds.hasNext()) {
        LoadedDetection dt = ds.next();
        d.computeIfAbsent(dt.categoryId(), k -> new ArrayList<>())
            .add(EvalInputs.dt(p.iouType(), dt, image.height(), image.width()));
      }
      return List.of(new Tuple2<>(imageId, new Tuple2<>(gts, d))).iterator();
    });
  }

  /**
   * The detections of the given categories ({@code null}: all) keyed by image id and partitioned
   * like the ground truth's images: the one shuffle of the detections, which every iouType's
   * evaluation and error analysis then reads in place.
   */
  public static JavaPairRDD<Long, LoadedDetection> keyedByImage(DistributedGroundTruth gt,
      JavaRDD<LoadedDetection> detections, int[] categories) {
    DetectionFields fields = new DetectionFields(categories, true, true);
    JavaRDD<LoadedDetection> wanted = categories == null ? detections
        : detections.filter(d -> fields.wants(d.categoryId()));
    return wanted.mapToPair(d -> new Tuple2<>(d.imageId(), d)).partitionBy(gt.partitioner());
  }

  /** Folds one partition's per-image results into one accumulation per (category, area range). */
  static Iterator<Tuple2<Long, Accumulation>> partitionAccumulations(Iterator<ImageEval> it, int areas,
      int thresholds) {
    Map<Integer, List<ImageEval>> byCat = new LinkedHashMap<>();
    while (it.hasNext()) {
      ImageEval e = it.next();
      byCat.computeIfAbsent(e.categoryId(), k -> new ArrayList<>()).add(e);
    }
    List<Tuple2<Long, Accumulation>> out = new ArrayList<>();
    for (Map.Entry<Integer, List<ImageEval>> e : byCat.entrySet()) {
      Accumulation[] accs = Accumulation.ofAllAreas(e.getValue(), areas, thresholds);
      for (int a = 0; a < areas; a++) {
        out.add(new Tuple2<>(((long) e.getKey() << 8) | a, accs[a]));
      }
    }
    return out.iterator();
  }
}
