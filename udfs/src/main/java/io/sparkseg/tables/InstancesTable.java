package io.sparkseg.tables;

import static io.sparkseg.tables.Structs.optional;
import static io.sparkseg.tables.Structs.required;
import static org.apache.spark.sql.types.DataTypes.FloatType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The {@code instances} table: one row per detected instance, partitioned by {@code run_id}. */
public final class InstancesTable {
  private InstancesTable() {}

  /** The table's name and folder under the output root. */
  public static final String NAME = "instances";

  // columns: the instance (instance_index is its rank by score within its image) and what was found
  public static final String IMAGE_ID = Tables.IMAGE_ID, INSTANCE_INDEX = "instance_index";
  public static final String CATEGORY_ID = "category_id", CATEGORY_NAME = "category_name", SCORE = "score";
  // its shapes; mask_score is the mask's own quality (see io.sparkseg.core.result.Instance#maskScore())
  public static final String BBOX = "bbox", MASK = "mask", MASK_AREA = "mask_area", MASK_SCORE = "mask_score",
      KEYPOINTS = "keypoints";
  // the model that found it and the run
  public static final String MODEL_NAME = "model_name", MODEL_VERSION = "model_version", RUN_ID = Tables.RUN_ID;

  /** One detected instance, without the image/model/run columns (also the ML transformer's output element). */
  public static final StructType INSTANCE = Structs.struct(
      required(INSTANCE_INDEX, IntegerType), required(CATEGORY_ID, IntegerType), required(CATEGORY_NAME, StringType),
      required(SCORE, FloatType), required(BBOX, Structs.BBOX), required(MASK, Structs.MASK),
      required(MASK_AREA, LongType), required(MASK_SCORE, FloatType), optional(KEYPOINTS, Structs.KEYPOINTS));

  /** The table's rows: the image id, an {@link #INSTANCE}, the model and the run. */
  public static final StructType SCHEMA = Tables.concat(
      new StructField[] {required(IMAGE_ID, LongType)},
      INSTANCE.fields(),
      new StructField[] {required(MODEL_NAME, StringType), required(MODEL_VERSION, StringType),
          required(RUN_ID, StringType)});
}
