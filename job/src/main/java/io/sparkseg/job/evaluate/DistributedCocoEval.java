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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * COCO evaluation on Spark with the same numbers as the single-machine {@link CocoEvaluator}:
 * ground truth and detections are grouped by image, each image is evaluated in an executor
 * ({@link CocoEvaluator#evaluateImage}), each partition folds its per-image results into one
 * {@link Accumulation} per (category, area range), those are merged with {@code reduceByKey}, and
 * the driver runs {@link EvalAccumulator} on the merged ones.
 */
public final class DistributedCocoEval {
  private DistributedCocoEval() {}

  /**
   * Evaluates loaded detections against the ground truth.
   *
   * @param partitions the number of image groups (at least 1)
   */
  public static EvalResult evaluate(JavaSparkContext jsc, CocoDataset gt, JavaRDD<LoadedDetection> detections,
      EvalParams p, int partitions) {
    return EvalAccumulator.accumulate(p, accumulations(jsc, gt, detections, p, partitions).collect());
  }

  /** The merged accumulations, one per (category, area range) that has any evaluated image. */
  public static JavaRDD<Accumulation> accumulations(JavaSparkContext jsc, CocoDataset gt,
      JavaRDD<LoadedDetection> detections, EvalParams p, int partitions) {
    JavaPairRDD<Long, ImageEval> evals = imageEvals(jsc, gt, detections, p, partitions);
    int areas = p.areaCount();
    int thresholds = p.iouThrCount();
    return evals.values()
        .mapPartitionsToPair(it -> partitionAccumulations(it, areas, thresholds))
        .reduceByKey(Accumulation::merge)
        .values();
  }

  /** Per-image evaluation of every (image, category), keyed by image id. */
  public static JavaPairRDD<Long, ImageEval> imageEvals(JavaSparkContext jsc, CocoDataset gt,
      JavaRDD<LoadedDetection> detections, EvalParams p, int partitions) {
    Broadcast<EvalParams> paramsB = jsc.broadcast(p);
    return byImage(jsc, gt, detections, p, partitions).flatMapToPair(t -> {
      long imageId = t._1();
      List<Tuple2<Long, ImageEval>> out = new ArrayList<>();
      for (ImageEval e : CocoEvaluator.evaluateImage(paramsB.value(), imageId, t._2()._1(), t._2()._2())) {
        out.add(new Tuple2<>(imageId, e));
      }
      return out.iterator();
    });
  }

  /**
   * The ground truth and detections of each image, by category (what {@link
   * CocoEvaluator#evaluateImage} takes), keyed by image id.
   */
  public static JavaPairRDD<Long, Tuple2<Map<Integer, List<EvalGt>>, Map<Integer, List<EvalDt>>>> byImage(
      JavaSparkContext jsc, CocoDataset gt, JavaRDD<LoadedDetection> detections, EvalParams p, int partitions) {
    // image sizes, for rasterising polygons/boxes of detections in the executors
    HashMap<Long, int[]> sizes = new HashMap<>();
    List<Tuple2<Long, HashMap<Integer, List<EvalGt>>>> gtByImage = new ArrayList<>();
    for (CocoImage img : gt.images()) {
      sizes.put(img.id(), new int[] {img.height(), img.width()});
    }
    for (long imageId : gt.imageIds()) {
      Map<Integer, List<EvalGt>> g = CocoEvaluator.groundTruth(gt, gt.image(imageId), p);
      if (!g.isEmpty()) {
        gtByImage.add(new Tuple2<>(imageId, new HashMap<>(g)));
      }
    }
    Broadcast<HashMap<Long, int[]>> sizesB = jsc.broadcast(sizes);
    Broadcast<EvalParams> paramsB = jsc.broadcast(p);
    HashPartitioner part = new HashPartitioner(Math.max(1, partitions));
    JavaPairRDD<Long, HashMap<Integer, List<EvalGt>>> gts =
        jsc.parallelizePairs(gtByImage, Math.max(1, partitions)).partitionBy(part);
    JavaPairRDD<Long, Tuple2<Integer, EvalDt>> dts = detections
        .filter(d -> paramsB.value().catIndex(d.categoryId()) >= 0)
        .mapToPair(d -> {
          int[] hw = sizesB.value().get(d.imageId());
          if (hw == null) {
            throw new IllegalArgumentException("Results do not correspond to current coco set: detection id " + d.id()
                + " has image_id " + d.imageId() + ", which is not in the ground truth");
          }
          EvalDt e = EvalInputs.dt(paramsB.value().iouType(), d, hw[0], hw[1]);
          return new Tuple2<>(d.imageId(), new Tuple2<>(d.categoryId(), e));
        });
    return gts.cogroup(dts, part).mapToPair(t -> {
      long imageId = t._1();
      Map<Integer, List<EvalGt>> g = new HashMap<>();
      for (HashMap<Integer, List<EvalGt>> m : t._2()._1()) {
        g.putAll(m);
      }
      Map<Integer, List<EvalDt>> d = new HashMap<>();
      for (Tuple2<Integer, EvalDt> cd : t._2()._2()) {
        d.computeIfAbsent(cd._1(), k -> new ArrayList<>()).add(cd._2());
      }
      return new Tuple2<>(imageId, new Tuple2<>(g, d));
    });
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
