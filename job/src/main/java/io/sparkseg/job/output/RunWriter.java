package io.sparkseg.job.output;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
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

  /** The instances table rows of {@code results} (schema {@link Schemas#IMAGE_RESULT}). */
  public static Dataset<Row> instancesOf(Dataset<Row> results, String modelName, String modelVersion, String runId) {
    Dataset<Row> exploded = results.select(functions.col("image_id"), functions.explode(functions.col("instances")).as("i"));
    return exploded.select(
        functions.col("image_id"),
        functions.col("i.instance_index"),
        functions.col("i.category_id"),
        functions.col("i.category_name"),
        functions.col("i.score"),
        functions.col("i.bbox"),
        functions.col("i.mask"),
        functions.col("i.mask_area"),
        functions.col("i.mask_score"),
        functions.col("i.keypoints"),
        functions.lit(modelName).as("model_name"),
        functions.lit(modelVersion).as("model_version"),
        functions.lit(runId).as("run_id"));
  }

  /** The images table rows of {@code results}. */
  public static Dataset<Row> imagesOf(Dataset<Row> results, String runId) {
    return results.select(
        functions.col("image_id"), functions.col("path"), functions.col("width"), functions.col("height"),
        functions.col("status"), functions.col("error"), functions.col("num_instances"),
        functions.col("inference_ms"), functions.lit(runId).as("run_id"));
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
        writeEmptyPartition(spark, layout.instances() + "/run_id=" + runId, Schemas.INSTANCES_TABLE, cloud);
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
    StructType schema = new StructType(java.util.Arrays.stream(tableSchema.fields())
        .filter(f -> !f.name().equals("run_id")).toArray(StructField[]::new));
    DataFrameWriter<Row> w = spark.createDataFrame(List.<Row>of(), schema).coalesce(1).write().mode(SaveMode.Overwrite);
    if (cloud) {
      w = w.option("fs.s3a.committer.name", "directory").option("fs.s3a.committer.staging.conflict-mode", "replace");
    }
    w.parquet(partitionPath);
  }

  private static void writeTable(Dataset<Row> df, String path, boolean cloud) {
    DataFrameWriter<Row> w = df.write().partitionBy("run_id");
    if (cloud) {
      w = w.mode(SaveMode.Append).options(CloudCommitters.writeOptions());
    } else {
      w = w.mode(SaveMode.Overwrite).option("partitionOverwriteMode", "dynamic");
    }
    w.parquet(path);
  }
}
