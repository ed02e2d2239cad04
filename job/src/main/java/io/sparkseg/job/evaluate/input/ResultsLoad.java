package io.sparkseg.job.evaluate.input;

import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import scala.Tuple2;

/**
 * pycocotools' {@code loadRes} on the executors ({@link LoadRes#load} for each detection): a
 * detection meets its image in the ground truth's image groups, which gives the size its area may
 * need, and its id is 1 + its position in the results file, as when read in one piece.
 */
public final class ResultsLoad {
  private ResultsLoad() {}

  /** The loadRes branch for a results file: {@code area}, or for {@code AUTO} the one its first detection picks. */
  public static LoadRes.AreaSource branch(ResultsSplits.Detections read, LoadRes.AreaSource area) {
    return area != LoadRes.AreaSource.AUTO ? area
        : LoadRes.branch(read.first() == null ? List.of() : List.of(read.first()));
  }

  /**
   * Loads a results file's detections with the branch {@code area} gives ({@link #branch}), keyed by
   * image id and partitioned like the ground truth's images (the evaluation reads them in place);
   * only the categories and fields in {@code fields} travel.
   *
   * @throws IllegalArgumentException (in a task) for a detection of an image not in the ground
   *     truth ("Results do not correspond to current coco set") or one its branch cannot load
   */
  public static JavaPairRDD<Long, LoadedDetection> apply(ResultsSplits.Detections read, DistributedGroundTruth gt,
      LoadRes.AreaSource area, DetectionFields fields) {
    LoadRes.AreaSource branch = branch(read, area);
    DetectionFields kept = fields.with(branch);
    JavaPairRDD<Long, Tuple2<Long, CocoDetection>> detections = read.detections()
        .filter(t -> kept.wants(t._2().categoryId()))
        .mapToPair(t -> new Tuple2<>(t._2().imageId(), new Tuple2<>(t._1(), kept.project(t._2()))));
    return gt.images().mapValues(g -> new int[] {g.image().height(), g.image().width()})
        .cogroup(detections, gt.partitioner())
        .flatMapValues(v -> {
          Iterator<int[]> size = v._1().iterator();
          int[] hw = size.hasNext() ? size.next() : null;
          List<LoadedDetection> out = new ArrayList<>();
          for (Tuple2<Long, CocoDetection> d : v._2()) {
            if (hw == null) {
              throw new IllegalArgumentException("Results do not correspond to current coco set: detection #" + d._1()
                  + " has image_id " + d._2().imageId() + ", which is not in the ground truth");
            }
            out.add(LoadRes.load(d._1() + 1, d._2(), branch, hw[0], hw[1], "detection #" + d._1()));
          }
          return out.iterator();
        });
  }
}
