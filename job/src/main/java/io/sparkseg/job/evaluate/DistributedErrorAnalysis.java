package io.sparkseg.job.evaluate;

import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.errors.ErrorFold;
import io.sparkseg.core.coco.errors.ErrorSummary;
import io.sparkseg.core.coco.errors.ImageErrorAnalysis;
import io.sparkseg.core.coco.errors.ImageErrors;
import io.sparkseg.core.coco.errors.Tally;
import io.sparkseg.core.coco.eval.Accumulation;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.LoadedDetection;
import io.sparkseg.job.evaluate.input.DistributedGroundTruth;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The TIDE-style error analysis on Spark ({@link io.sparkseg.core.coco.errors}): each image is
 * analysed in an executor from the same per-image groups as the evaluation ({@link
 * DistributedCocoEval#byImage}), each partition folds its images into one accumulation per
 * (scenario, category), those merge with {@code reduceByKey}, the counts are summed, and the
 * driver recomputes AP50 per scenario from the merged accumulations.
 */
public final class DistributedErrorAnalysis {
  private DistributedErrorAnalysis() {}

  /** As below, against ground truth in the driver's memory (tests, benchmarks). */
  public static ErrorSummary analyse(JavaSparkContext jsc, CocoDataset gt, JavaRDD<LoadedDetection> detections,
      EvalParams p, int partitions) {
    DistributedGroundTruth g = DistributedGroundTruth.of(jsc, gt, partitions);
    try {
      return analyse(g, detections, p);
    } finally {
      g.unpersist();
    }
  }

  /** Analyses loaded detections (bbox or segm) against the ground truth, with the evaluation's parameters. */
  public static ErrorSummary analyse(DistributedGroundTruth gt, JavaRDD<LoadedDetection> detections, EvalParams p) {
    return analyse(gt, DistributedCocoEval.keyedByImage(gt, detections, p.catIds()), p);
  }

  /** As above, for detections keyed and partitioned by {@link DistributedCocoEval#keyedByImage}. */
  public static ErrorSummary analyse(DistributedGroundTruth gt, JavaPairRDD<Long, LoadedDetection> detections,
      EvalParams p) {
    JavaRDD<ImageErrors> images = DistributedCocoEval.byImage(gt, detections, p)
        .map(t -> ImageErrorAnalysis.analyse(p, t._1(), t._2()._1(), t._2()._2()))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      HashMap<Long, Accumulation> accs = new HashMap<>(images
          .mapPartitionsToPair(it -> {
            List<Tuple2<Long, Accumulation>> out = new ArrayList<>();
            ErrorFold.accumulations(it).forEach((k, a) -> out.add(new Tuple2<>(k, a)));
            return out.iterator();
          })
          .reduceByKey(Accumulation::merge)
          .collectAsMap());
      Tally errors = images.map(ImageErrors::errors).fold(new Tally(), Tally::merge);
      Tally confusion = images.map(ImageErrors::confusion).fold(new Tally(), Tally::merge);
      return ErrorSummary.of(p, accs, errors, confusion);
    } finally {
      images.unpersist(false);
    }
  }
}
