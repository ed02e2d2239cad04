package io.sparkseg.job.output;

import io.sparkseg.tables.ImagesTable;
import io.sparkseg.tables.InstancesTable;
import io.sparkseg.tables.Tables;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one run's {@code instances} and {@code images} tables from the per-image results,
 * replacing the run's partition if it exists (see {@link CloudCommitters} for how, per file
 * system). Instances are written first: once a run's images partition is visible, its instances
 * are complete.
 */
public final class RunWriter {
  private static final Logger LOG = LoggerFactory.getLogger(RunWriter.class);

  private RunWriter() {}

  /** The instances table rows of {@code results} (schema {@link ImagesTable#WITH_INSTANCES}). */
  public static Dataset<Row> instancesOf(Dataset<Row> results, String modelName, String modelVersion, String runId) {
    Dataset<Row> exploded = results.select(functions.col(ImagesTable.IMAGE_ID),
        functions.explode(functions.col(ImagesTable.INSTANCES)).as("i"));
    List<Column> columns = new ArrayList<>();
    columns.add(functions.col(InstancesTable.IMAGE_ID));
    for (String field : InstancesTable.INSTANCE.fieldNames()) {
      columns.add(functions.col("i." + field));
    }
    columns.add(functions.lit(modelName).as(InstancesTable.MODEL_NAME));
    columns.add(functions.lit(modelVersion).as(InstancesTable.MODEL_VERSION));
    columns.add(functions.lit(runId).as(InstancesTable.RUN_ID));
    return exploded.select(columns.toArray(new Column[0]));
  }

  /** The images table rows of {@code results}: its columns in table order, and the run. */
  public static Dataset<Row> imagesOf(Dataset<Row> results, String runId) {
    List<Column> columns = new ArrayList<>();
    for (String name : Tables.without(ImagesTable.SCHEMA, Tables.RUN_ID).fieldNames()) {
      columns.add(functions.col(name));
    }
    columns.add(functions.lit(runId).as(ImagesTable.RUN_ID));
    return results.select(columns.toArray(new Column[0]));
  }

  /**
   * Writes both tables for one run; {@code files} is the number of files per table. A run without
   * instances still gets an instances partition (one empty Parquet file carrying the schema), which
   * also replaces the instances of an earlier run with the same id.
   */
  public static void write(SparkSession spark, Dataset<Row> results, OutputLayout layout,
      String modelName, String modelVersion, String runId, int files, long instanceCount) {
    boolean s3a = CloudCommitters.isS3a(layout.root());
    boolean cloud = s3a && CloudCommitters.available();
    if (s3a && !cloud) {
      LOG.warn("spark-hadoop-cloud is not on the classpath: writing to S3 with the rename-based committer "
          + "(slow, not atomic). Add spark-hadoop-cloud to use the S3A partitioned committer.");
    }
    Map<String, String> saved = new HashMap<>();
    if (cloud) {
      for (Map.Entry<String, String> e : CloudCommitters.sessionConf().entrySet()) {
        saved.put(e.getKey(), spark.conf().contains(e.getKey()) ? spark.conf().get(e.getKey()) : null);
        spark.conf().set(e.getKey(), e.getValue());
      }
    }
    try {
      if (instanceCount > 0) {
        writeTable(instancesOf(results, modelName, modelVersion, runId).coalesce(files), layout.instances(), cloud);
      } else {
        writeEmptyPartition(spark, layout.instances() + "/" + Tables.RUN_ID + "=" + runId, InstancesTable.SCHEMA, cloud);
      }
      writeTable(imagesOf(results, runId).coalesce(files), layout.images(), cloud);
    } finally {
      for (Map.Entry<String, String> e : saved.entrySet()) {
        if (e.getValue() == null) {
          spark.conf().unset(e.getKey());
        } else {
          spark.conf().set(e.getKey(), e.getValue());
        }
      }
    }
  }

  private static void writeEmptyPartition(SparkSession spark, String partitionPath, StructType tableSchema, boolean cloud) {
    DataFrameWriter<Row> w = spark.createDataFrame(List.<Row>of(), Tables.without(tableSchema, Tables.RUN_ID)).coalesce(1).write().mode(SaveMode.Overwrite);
    if (cloud) {
      w = w.option("fs.s3a.committer.name", "directory").option("fs.s3a.committer.staging.conflict-mode", "replace");
    }
    w.parquet(partitionPath);
  }

  private static void writeTable(Dataset<Row> df, String path, boolean cloud) {
    DataFrameWriter<Row> w = df.write().partitionBy(Tables.RUN_ID);
    if (cloud) {
      w = w.mode(SaveMode.Append).options(CloudCommitters.writeOptions());
    } else {
      w = w.mode(SaveMode.Overwrite).option("partitionOverwriteMode", "dynamic");
    }
    w.parquet(path);
  }
}
