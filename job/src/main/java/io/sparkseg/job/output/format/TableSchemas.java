package io.sparkseg.job.output.format;

import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;

import io.sparkseg.tables.ImagesTable;
import io.sparkseg.tables.InstancesTable;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.StructType;

/**
 * The three tables as every format stores them: {@code instances} and {@code images} gain the
 * {@code commit} column (a partition folder in Parquet, a plain column in Delta and Iceberg, so the
 * formats have the same columns), and {@code runs} holds one row per run id.
 */
public final class TableSchemas {
  private TableSchemas() {}

  public static final String INSTANCES = "instances";
  public static final String IMAGES = "images";
  public static final String RUNS = "runs";
  public static final String RUN_ID = "run_id";
  public static final String COMMIT = "commit";

  /** {@link InstancesTable#SCHEMA} and the commit index. */
  public static final StructType INSTANCES_TABLE = InstancesTable.SCHEMA.add(COMMIT, IntegerType, false);

  /** {@link ImagesTable#SCHEMA} and the commit index. */
  public static final StructType IMAGES_TABLE = ImagesTable.SCHEMA.add(COMMIT, IntegerType, false);

  /** One element of {@code runs.commits}: what one commit added. */
  public static final StructType COMMIT_ENTRY = new StructType()
      .add("commit", IntegerType, false)
      .add("attempt", StringType, true)
      .add("images", LongType, true)
      .add("instances", LongType, true)
      .add("ok", LongType, true)
      .add("failed", LongType, true)
      .add("committed_at", TimestampType, true);

  /** The {@code runs} table: one row per run id, rewritten as the run goes. */
  public static final StructType RUNS_TABLE = new StructType()
      .add(RUN_ID, StringType, false)
      .add("status", StringType, true)            // running | succeeded | failed_fraction_exceeded | failed
      .add("mode", StringType, true)              // auto | replace | incremental
      .add("attempt", StringType, true)           // the attempt that wrote this row
      .add("attempts", IntegerType, true)
      .add("model_name", StringType, true)
      .add("model_version", StringType, true)
      .add("model_sha256", StringType, true)
      .add("input", StringType, true)             // redacted description of the input
      .add("table_format", StringType, true)
      .add("commit_images", IntegerType, true)
      .add("images_total", LongType, true)
      .add("images_committed", LongType, true)
      .add("images_resumed", LongType, true)
      .add("images_computed", LongType, true)
      .add("images_skipped", LongType, true)
      .add("instances", LongType, true)
      .add("started_at", TimestampType, true)
      .add("updated_at", TimestampType, true)
      .add("finished_at", TimestampType, true)    // null while running
      .add("commits", new ArrayType(COMMIT_ENTRY, false), true)
      .add("summary", StringType, true);          // the final summary JSON, null while running

  /** The schema of {@code instances} or {@code images}. */
  static StructType resultTable(String table) {
    return switch (table) {
      case INSTANCES -> INSTANCES_TABLE;
      case IMAGES -> IMAGES_TABLE;
      default -> throw new IllegalArgumentException("not a result table: " + table);
    };
  }
}
