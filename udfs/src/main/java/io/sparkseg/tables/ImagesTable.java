package io.sparkseg.tables;

import static io.sparkseg.tables.Structs.optional;
import static io.sparkseg.tables.Structs.required;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The {@code images} table: every input image exactly once per run, partitioned by {@code run_id}. */
public final class ImagesTable {
  private ImagesTable() {}

  /** The table's name and folder under the output root. */
  public static final String NAME = "images";

  // columns: the image and its size (null where it could not be decoded)
  public static final String IMAGE_ID = Tables.IMAGE_ID, PATH = "path", WIDTH = "width", HEIGHT = "height";
  // what became of it (error: null when segmented), its instance count and the model's time on it
  public static final String STATUS = "status", ERROR = "error", NUM_INSTANCES = "num_instances",
      INFERENCE_MS = "inference_ms", RUN_ID = Tables.RUN_ID;
  // what identified the file's content when it was read (incremental runs compare it): size, modification
  // time and the entity tag where the file system gives one (S3)
  public static final String SIZE_BYTES = "size_bytes", MODIFIED_AT = "modified_at", ETAG = "etag";
  /** The column of {@link #WITH_INSTANCES} that holds the image's instances. */
  public static final String INSTANCES = InstancesTable.NAME;

  private static final StructField[] IMAGE = {
      required(IMAGE_ID, LongType), required(PATH, StringType), optional(WIDTH, IntegerType), optional(HEIGHT, IntegerType),
      required(STATUS, StringType), optional(ERROR, StringType), required(NUM_INSTANCES, IntegerType),
      optional(INFERENCE_MS, DoubleType), optional(SIZE_BYTES, LongType), optional(MODIFIED_AT, TimestampType),
      optional(ETAG, StringType)};

  /** The table's rows. */
  public static final StructType SCHEMA = Tables.concat(IMAGE, new StructField[] {required(RUN_ID, StringType)});

  /** What a segmenting partition emits per image: the table's columns but the run, and the image's instances. */
  public static final StructType WITH_INSTANCES = Tables.concat(IMAGE,
      new StructField[] {required(INSTANCES, new ArrayType(InstancesTable.INSTANCE, false))});
}
