package io.sparkseg.job.evaluate.input;

import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    // (image id, (position, detection)); the categories not evaluated travel only as their images,
    // each at most once per input partition with its first position (CocoDetection.imageOnly), for
    // the image check loadRes gives every detection
    JavaPairRDD<Long, Tuple2<Long, CocoDetection>> detections = read.detections().mapPartitionsToPair(it -> {
      List<Tuple2<Long, Tuple2<Long, CocoDetection>>> out = new ArrayList<>();
      Map<Long, Tuple2<Long, CocoDetection>> others = new LinkedHashMap<>();
      while (it.hasNext()) {
        Tuple2<Long, CocoDetection> t = it.next();
        CocoDetection d = t._2();
        if (kept.wants(d.categoryId())) {
          out.add(new Tuple2<>(d.imageId(), new Tuple2<>(t._1(), kept.project(d))));
        } else {
          others.putIfAbsent(d.imageId(), new Tuple2<>(t._1(), CocoDetection.imageOnly(d.imageId(), d.categoryId())));
        }
      }
      others.forEach((image, first) -> out.add(new Tuple2<>(image, first)));
      return out.iterator();
    });
    return gt.images().mapValues(g -> new int[] {g.image().height(), g.image().width()})
        .cogroup(detections, gt.partitioner())
        .flatMapValues(v -> {
          Iterator<int[]> size = v._1().iterator();
          int[] hw = size.hasNext() ? size.next() : null;
          List<LoadedDetection> out = new ArrayList<>();
          for (Tuple2<Long, CocoDetection> d : v._2()) {
            if (hw == null) {
              throw LoadRes.notInGroundTruth(d._1(), d._2().imageId());
            }
            if (!d._2().isImageOnly()) {
              out.add(LoadRes.load(d._1() + 1, d._2(), branch, hw[0], hw[1], "detection #" + d._1()));
            }
          }
          return out.iterator();
        });
  }

}
