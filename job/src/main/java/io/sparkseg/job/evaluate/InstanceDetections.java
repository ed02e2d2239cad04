package io.sparkseg.job.evaluate;

import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.Segmentation;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import io.sparkseg.core.mask.Rle;
import io.sparkseg.job.evaluate.input.DetectionFields;
import io.sparkseg.tables.InstancesTable;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import scala.Tuple2;

/**
 * Reads the job's {@code instances} table as detections for evaluation. Each row becomes a
 * detection with id {@code instance_index + 1} (ties in score keep instance order, as a results
 * file's order would), its box, its compressed-RLE mask and its keypoints; the area follows
 * pycocotools' loadRes rules ({@link LoadRes.AreaSource#AUTO} = from the box, as every row has
 * one). Masks can also be ranked by their own quality: {@link #loadWithMaskScores}.
 */
public final class InstanceDetections {
  /** The columns used. */
  public static final List<String> COLUMNS =
      List.of(InstancesTable.IMAGE_ID, InstancesTable.INSTANCE_INDEX, InstancesTable.CATEGORY_ID, InstancesTable.SCORE,
          InstancesTable.BBOX, InstancesTable.MASK, InstancesTable.KEYPOINTS);

  /** The column with the masks' own score (see {@link io.sparkseg.core.result.Instance#maskScore()}). */
  public static final String MASK_SCORE = InstancesTable.MASK_SCORE;

  private InstanceDetections() {}

  /** The detections of an instances table (already filtered to one run), scored by {@code score}. */
  public static JavaRDD<LoadedDetection> load(Dataset<Row> instances, LoadRes.AreaSource area) {
    return load(instances, area, DetectionFields.ALL);
  }

  /** As above, reading only the categories and columns in {@code fields}. */
  public static JavaRDD<LoadedDetection> load(Dataset<Row> instances, LoadRes.AreaSource area,
      DetectionFields fields) {
    LoadRes.AreaSource branch = branch(area);
    return select(instances, fields.with(branch)).toJavaRDD().map(r -> fromRow(r, branch));
  }

  /**
   * The detections (scored by {@code score}), each with its {@code mask_score}, read and decoded
   * once for both rankings ({@link #rankedByMaskScore}).
   */
  public static JavaRDD<Tuple2<LoadedDetection, Float>> loadWithMaskScores(Dataset<Row> instances,
      LoadRes.AreaSource area, DetectionFields fields) {
    LoadRes.AreaSource branch = branch(area);
    return select(instances, fields.with(branch), MASK_SCORE).toJavaRDD().map(r -> {
      LoadedDetection d = fromRow(r, branch);
      float maskScore = r.getFloat(COLUMNS.size());
      if (Float.isNaN(maskScore)) {
        throw new IllegalArgumentException("instance " + r.getInt(1) + " of image_id " + r.getLong(0)
            + ": " + MASK_SCORE + " is NaN");
      }
      return new Tuple2<>(d, maskScore);
    });
  }

  /** The detection with its mask score in place of its score. */
  public static LoadedDetection rankedByMaskScore(Tuple2<LoadedDetection, Float> t) {
    LoadedDetection d = t._1();
    return new LoadedDetection(d.id(), d.imageId(), d.categoryId(), t._2(), d.area(), d.bbox(), d.segmentation(),
        d.keypoints());
  }

  private static LoadRes.AreaSource branch(LoadRes.AreaSource area) {
    return area == LoadRes.AreaSource.AUTO ? LoadRes.AreaSource.BBOX : area;
  }

  /**
   * {@link #COLUMNS} and {@code more}, of the categories {@code fields} wants; a mask or keypoints
   * column no evaluated iouType reads is null (Parquet then skips it; the table branch takes areas
   * from the boxes).
   */
  private static Dataset<Row> select(Dataset<Row> instances, DetectionFields fields, String... more) {
    List<Column> cols = new java.util.ArrayList<>();
    for (String c : COLUMNS) {
      boolean unread = c.equals(InstancesTable.MASK) && !fields.masks()
          || c.equals(InstancesTable.KEYPOINTS) && !fields.keypoints();
      cols.add(unread ? functions.lit(null).cast(instances.schema().apply(c).dataType()).as(c) : functions.col(c));
    }
    for (String c : more) {
      cols.add(functions.col(c));
    }
    Dataset<Row> wanted = fields.categories() == null ? instances : instances.filter(
        functions.col(InstancesTable.CATEGORY_ID).isin(java.util.Arrays.stream(fields.categories()).boxed().toArray()));
    return wanted.select(cols.toArray(new Column[0]));
  }

  /** One row ({@link #COLUMNS} first, in that order) as a loaded detection. */
  static LoadedDetection fromRow(Row r, LoadRes.AreaSource branch) {
    long imageId = r.getLong(0);
    int index = r.getInt(1);
    String what = "instance " + index + " of image_id " + imageId;
    double[] bbox = null;
    if (!r.isNullAt(4)) {
      Row b = r.getStruct(4);
      bbox = new double[] {b.getDouble(0), b.getDouble(1), b.getDouble(2), b.getDouble(3)};
    }
    Segmentation seg = null;
    if (!r.isNullAt(5)) {
      Row m = r.getStruct(5);
      try {
        seg = new Segmentation.RleMask(Rle.fromCompressedString(m.getInt(0), m.getInt(1), m.getString(2)), true);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(what + ": bad mask: " + e.getMessage(), e);
      }
    }
    double[] kps = null;
    if (!r.isNullAt(6)) {
      List<Row> k = r.getList(6);
      kps = new double[k.size() * 3];
      for (int i = 0; i < k.size(); i++) {
        Row p = k.get(i);
        kps[3 * i] = p.getFloat(0);
        kps[3 * i + 1] = p.getFloat(1);
        kps[3 * i + 2] = p.getFloat(2);
      }
    }
    float score = r.getFloat(3);
    if (Float.isNaN(score)) {
      throw new IllegalArgumentException(what + ": " + "score is NaN");
    }
    CocoDetection d = new CocoDetection(imageId, r.getInt(2), score, bbox, seg, kps);
    return LoadRes.load(index + 1L, d, branch, -1, -1, what);
  }
}
