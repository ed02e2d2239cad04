package io.sparkseg.job.evaluate.input;

import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
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
   * Loads a results file's detections with the branch {@code area} gives ({@link #branch}).
   *
   * @throws IllegalArgumentException (in a task) for a detection of an image not in the ground
   *     truth ("Results do not correspond to current coco set") or one its branch cannot load
   */
  public static JavaRDD<LoadedDetection> apply(ResultsSplits.Detections read, DistributedGroundTruth gt,
      LoadRes.AreaSource area) {
    LoadRes.AreaSource branch = branch(read, area);
    JavaRDD<Tuple2<Long, CocoDetection>> detections = read.detections();
    return gt.images().mapValues(g -> new int[] {g.image().height(), g.image().width()})
        .cogroup(detections.mapToPair(t -> new Tuple2<>(t._2().imageId(), t)), gt.partitioner())
        .flatMap(t -> {
          Iterator<int[]> size = t._2()._1().iterator();
          List<LoadedDetection> out = new ArrayList<>();
          for (Tuple2<Long, CocoDetection> d : t._2()._2()) {
            if (!size.hasNext()) {
              throw new IllegalArgumentException("Results do not correspond to current coco set: detection #" + d._1()
                  + " has image_id " + t._1() + ", which is not in the ground truth");
            }
            int[] hw = t._2()._1().iterator().next();
            out.add(LoadRes.load(d._1() + 1, d._2(), branch, hw[0], hw[1], "detection #" + d._1()));
          }
          return out.iterator();
        });
  }
}
