package io.sparkseg.job.output;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.FloatType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Spark schemas of sparkseg's output: the {@code instances} and {@code images} tables (both
 * partitioned by {@code run_id}) and the per-image instance struct shared with the ML
 * transformer's output column.
 */
public final class Schemas {
  private Schemas() {}

  /** COCO xywh box in original image pixels. */
  public static final StructType BBOX = new StructType(new StructField[] {
      field("x", DoubleType, false), field("y", DoubleType, false),
      field("width", DoubleType, false), field("height", DoubleType, false)});

  /** COCO RLE in image size; counts is the compressed string form (as pycocotools writes it). */
  public static final StructType MASK = new StructType(new StructField[] {
      field("height", IntegerType, false), field("width", IntegerType, false),
      field("counts", StringType, false)});

  public static final StructType KEYPOINT = new StructType(new StructField[] {
      field("x", FloatType, false), field("y", FloatType, false), field("score", FloatType, false)});

  /** One detected instance, without the image/run columns. */
  public static final StructType INSTANCE = new StructType(new StructField[] {
      field("instance_index", IntegerType, false),
      field("category_id", IntegerType, false),
      field("category_name", StringType, false),
      field("score", FloatType, false),
      field("bbox", BBOX, false),
      field("mask", MASK, false),
      field("mask_area", LongType, false),
      field("mask_score", FloatType, false),
      field("keypoints", new ArrayType(KEYPOINT, false), true)});

  /** Rows of the {@code instances} table: the image id, an {@link #INSTANCE}, the model and the run. */
  public static final StructType INSTANCES_TABLE = concat(
      new StructField[] {field("image_id", LongType, false)},
      INSTANCE.fields(),
      new StructField[] {field("model_name", StringType, false), field("model_version", StringType, false),
          field("run_id", StringType, false)});

  /** Rows of the {@code images} table: every input image exactly once. */
  public static final StructType IMAGES_TABLE = new StructType(new StructField[] {
      field("image_id", LongType, false),
      field("path", StringType, false),
      field("width", IntegerType, true),
      field("height", IntegerType, true),
      field("status", StringType, false),
      field("error", StringType, true),
      field("num_instances", IntegerType, false),
      field("inference_ms", DoubleType, true),
      field("run_id", StringType, false)});

  /** What a segmenting partition emits per image: the images columns plus the instances. */
  public static final StructType IMAGE_RESULT = new StructType(new StructField[] {
      field("image_id", LongType, false),
      field("path", StringType, false),
      field("width", IntegerType, true),
      field("height", IntegerType, true),
      field("status", StringType, false),
      field("error", StringType, true),
      field("num_instances", IntegerType, false),
      field("inference_ms", DoubleType, true),
      field("instances", DataTypes.createArrayType(INSTANCE, false), false)});

  private static StructType concat(StructField[]... parts) {
    java.util.List<StructField> all = new java.util.ArrayList<>();
    for (StructField[] part : parts) {
      all.addAll(java.util.Arrays.asList(part));
    }
    return new StructType(all.toArray(new StructField[0]));
  }

  private static StructField field(String name, org.apache.spark.sql.types.DataType type, boolean nullable) {
    return new StructField(name, type, nullable, Metadata.empty());
  }
}
