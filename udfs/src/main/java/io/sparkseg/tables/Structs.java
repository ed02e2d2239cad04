package io.sparkseg.tables;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.FloatType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import java.util.Arrays;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The struct types the tables and the SQL functions share: a mask, a box and keypoints, with
 * their field names.
 */
public final class Structs {
  private Structs() {}

  // field names: a mask's size and run lengths; a box's or keypoint's position, its extent, a keypoint's score
  public static final String HEIGHT = "height", WIDTH = "width", COUNTS = "counts";
  public static final String X = "x", Y = "y", SCORE = "score";

  /** COCO RLE in image size; counts is the compressed string form (as pycocotools writes it). */
  public static final StructType MASK = struct(
      required(HEIGHT, IntegerType), required(WIDTH, IntegerType), required(COUNTS, StringType));

  /** COCO xywh box in original image pixels. */
  public static final StructType BBOX = struct(
      required(X, DoubleType), required(Y, DoubleType), required(WIDTH, DoubleType), required(HEIGHT, DoubleType));

  /** One keypoint in original image pixels with its score. */
  public static final StructType KEYPOINT = struct(
      required(X, FloatType), required(Y, FloatType), required(SCORE, FloatType));

  /** An instance's keypoints, in the model's keypoint order. */
  public static final ArrayType KEYPOINTS = new ArrayType(KEYPOINT, false);

  /** {@code type} with every field nullable: what an aggregate's input encoder takes. */
  public static StructType nullable(StructType type) {
    return struct(Arrays.stream(type.fields()).map(f -> optional(f.name(), f.dataType())).toArray(StructField[]::new));
  }

  static StructType struct(StructField... fields) {
    return new StructType(fields);
  }

  static StructField required(String name, DataType type) {
    return new StructField(name, type, false, Metadata.empty());
  }

  static StructField optional(String name, DataType type) {
    return new StructField(name, type, true, Metadata.empty());
  }
}
