package io.sparkseg.job.evaluate.input;

import io.sparkseg.core.coco.CocoAnnotation;
import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoImage;
import io.sparkseg.core.coco.CocoJsonReader;
import io.sparkseg.job.fs.HadoopConf;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * COCO ground truth held by the executors: every image with its annotations, keyed by image id
 * and hash-partitioned into the evaluation's image groups, so detections grouped the same way meet
 * their image without another shuffle. The driver keeps only the categories ({@link #header}). A
 * file is laid out by one streaming pass on the driver ({@link GroundTruthLayout}) and its chunks
 * parsed by the executors. pycocotools' lookups by id hold: a repeated image id keeps its last
 * record, and an annotation whose id repeats is evaluated as the last record with that id.
 */
public final class DistributedGroundTruth {
  private static final int SEGMENTATION = 1;
  private static final int KEYPOINTS = 2;

  private final CocoDataset header;
  private final HashPartitioner partitioner;
  private final JavaPairRDD<Long, ImageGroundTruth> images;
  private final int present;

  private DistributedGroundTruth(CocoDataset header, HashPartitioner partitioner,
      JavaPairRDD<Long, ImageGroundTruth> images, int present) {
    this.header = header;
    this.partitioner = partitioner;
    this.images = images;
    this.present = present;
  }

  /** Reads a COCO annotation file in chunks of Spark's file split size ({@link SplitSize}). */
  public static DistributedGroundTruth read(SparkSession spark, String uri, int partitions) throws IOException {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Path path = new Path(uri);
    FileSystem fs = path.getFileSystem(jsc.hadoopConfiguration());
    GroundTruthLayout layout;
    try (InputStream in = fs.open(path)) {
      layout = GroundTruthLayout.scan(in, SplitSize.of(spark, fs.getFileStatus(path).getLen()));
    }
    HadoopConf conf = new HadoopConf(jsc.hadoopConfiguration());
    String file = path.toString();
    JavaRDD<Tuple2<Long, CocoImage>> imgs = jsc.parallelize(layout.images(), Math.max(1, layout.images().size()))
        .flatMap(c -> records(conf, file, c, "images", CocoJsonReader::readImage));
    JavaRDD<Tuple2<Long, CocoAnnotation>> anns =
        jsc.parallelize(layout.annotations(), Math.max(1, layout.annotations().size()))
            .flatMap(c -> records(conf, file, c, "annotations", CocoJsonReader::readAnnotation));
    return build(new CocoDataset(List.of(), layout.categories(), List.of()), imgs, anns, partitions);
  }

  /** Ground truth already in the driver's memory (tests, benchmarks), distributed the same way. */
  public static DistributedGroundTruth of(JavaSparkContext jsc, CocoDataset gt, int partitions) {
    List<Tuple2<Long, CocoImage>> imgs = new ArrayList<>();
    for (CocoImage i : gt.images()) {
      imgs.add(new Tuple2<>((long) imgs.size(), i));
    }
    List<Tuple2<Long, CocoAnnotation>> anns = new ArrayList<>();
    for (CocoAnnotation a : gt.annotations()) {
      anns.add(new Tuple2<>((long) anns.size(), a));
    }
    int slices = Math.max(1, partitions);
    return build(new CocoDataset(List.of(), gt.categories(), List.of()), jsc.parallelize(imgs, slices),
        jsc.parallelize(anns, slices), partitions);
  }

  private static DistributedGroundTruth build(CocoDataset header, JavaRDD<Tuple2<Long, CocoImage>> imgs,
      JavaRDD<Tuple2<Long, CocoAnnotation>> anns, int partitions) {
    HashPartitioner part = new HashPartitioner(Math.max(1, partitions));
    anns = anns.persist(StorageLevel.MEMORY_AND_DISK());
    try {
      int present = anns.map(t -> (t._2().segmentation() != null ? SEGMENTATION : 0)
          | (t._2().keypoints() != null ? KEYPOINTS : 0)).fold(0, (a, b) -> a | b);
      JavaPairRDD<Long, Tuple2<Long, CocoImage>> lastImage =
          imgs.mapToPair(t -> new Tuple2<>(t._2().id(), t)).reduceByKey(part, (a, b) -> a._1() > b._1() ? a : b);
      JavaPairRDD<Long, ImageGroundTruth> images = lastImage.cogroup(byImage(anns), part)
          .flatMapValues(v -> {
            Iterator<Tuple2<Long, CocoImage>> img = v._1().iterator();
            if (!img.hasNext()) {
              return java.util.Collections.emptyIterator(); // annotations of an image not in the file: never evaluated
            }
            List<Tuple2<Long, CocoAnnotation>> list = new ArrayList<>();
            v._2().forEach(list::add);
            list.sort(Comparator.comparingLong(Tuple2::_1));
            List<CocoAnnotation> ordered = new ArrayList<>(list.size());
            list.forEach(t -> ordered.add(t._2()));
            return List.of(new ImageGroundTruth(img.next()._2(), ordered)).iterator();
          })
          .persist(StorageLevel.MEMORY_AND_DISK());
      images.count(); // read and grouped once, before the annotations go
      return new DistributedGroundTruth(header, part, images, present);
    } finally {
      anns.unpersist(false);
    }
  }

  /**
   * The annotations keyed by their image id, each with its position in the file and the record
   * pycocotools' {@code anns[id]} gives for its id (the last one of that id in the file).
   */
  private static JavaPairRDD<Long, Tuple2<Long, CocoAnnotation>> byImage(JavaRDD<Tuple2<Long, CocoAnnotation>> anns) {
    JavaPairRDD<Long, Long> lastOfRepeated = anns.mapToPair(t -> new Tuple2<>(t._2().id(), new long[] {1, t._1()}))
        .reduceByKey((a, b) -> new long[] {a[0] + b[0], Math.max(a[1], b[1])})
        .filter(e -> e._2()[0] > 1)
        .mapValues(v -> v[1]);
    if (lastOfRepeated.isEmpty()) {
      return anns.mapToPair(t -> new Tuple2<>(t._2().imageId(), t));
    }
    JavaPairRDD<Long, Tuple2<Long, CocoAnnotation>> byId = anns.mapToPair(t -> new Tuple2<>(t._2().id(), t));
    JavaPairRDD<Long, CocoAnnotation> last = byId.join(lastOfRepeated)
        .filter(e -> e._2()._1()._1().equals(e._2()._2()))
        .mapValues(e -> e._1()._2());
    return byId.leftOuterJoin(last).mapToPair(e -> {
      Tuple2<Long, CocoAnnotation> own = e._2()._1();
      CocoAnnotation a = own._2();
      if (e._2()._2().isPresent()) { // the last record's content, in this record's image
        CocoAnnotation u = e._2()._2().get();
        a = new CocoAnnotation(u.id(), a.imageId(), u.categoryId(), u.iscrowd(), u.area(), u.bbox(), u.segmentation(),
            u.keypoints(), u.numKeypoints());
      }
      return new Tuple2<>(a.imageId(), new Tuple2<>(own._1(), a));
    });
  }

  /** Parses one chunk of an array (in a task). */
  private static <T> Iterator<Tuple2<Long, T>> records(HadoopConf conf, String file, GroundTruthLayout.Chunk c,
      String what, ArrayElements.RecordReader<T> reader) throws IOException {
    Path path = new Path(file);
    return ArrayElements.records(path.getFileSystem(conf.get()), path, c.start(), c.count(), c.firstIndex(), what,
        "COCO annotation file", reader);
  }

  /** The categories (no images or annotations): what the driver needs for parameters and names. */
  public CocoDataset header() {
    return header;
  }

  /** Every image with its annotations, partitioned by {@link #partitioner}. */
  public JavaPairRDD<Long, ImageGroundTruth> images() {
    return images;
  }

  /** The image groups. */
  public HashPartitioner partitioner() {
    return partitioner;
  }

  /** Whether any annotation has a segmentation. */
  public boolean hasSegmentation() {
    return (present & SEGMENTATION) != 0;
  }

  /** Whether any annotation has keypoints. */
  public boolean hasKeypoints() {
    return (present & KEYPOINTS) != 0;
  }

  /** Frees the executors' copy. */
  public void unpersist() {
    images.unpersist(false);
  }
}
