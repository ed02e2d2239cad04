package io.sparkseg.job.run;

import io.sparkseg.job.fs.FileIdentity;
import io.sparkseg.job.fs.HadoopConf;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The rule of {@code --mode incremental}: an input image is skipped when an earlier run under the
 * same output that {@code succeeded} with the same model (name, version, sha256) and the same
 * settings that change its detections (precision, flip test, score and mask thresholds, as its
 * summary records them) segmented the same path {@code ok}, and the file is unchanged (same size,
 * modification time and etag, where the file system gives one; a file whose identity is unknown is
 * never skipped). All in Spark joins.
 */
public final class IncrementalSkip {
  /** Input rows with their content identity. */
  public static final StructType IDENTIFIED = new StructType()
      .add("image_id", DataTypes.LongType, false)
      .add("path", DataTypes.StringType, false)
      .add("size_bytes", DataTypes.LongType, true)
      .add("modified_at", DataTypes.TimestampType, true)
      .add("etag", DataTypes.StringType, true);

  /** The model a run used, as the runs table records it, and the settings it ran with. */
  public record Model(String name, String version, String sha256, Settings settings) {}

  /**
   * The run settings that change a model's detections, as the summary's {@code model} object records
   * them. {@code unrecorded}: what a run whose summary predates one of them is taken to have run
   * with (fp32, the only precision then; the bundle's flip switch and thresholds).
   */
  public record Settings(String precision, boolean flipTest, float scoreThreshold, float maskThreshold) {}

  private IncrementalSkip() {}

  /**
   * {@code (image_id, path, refused)} rows as {@code (image_id, path)} plus each file's identity, read by
   * executors from the file system; a refused path is not looked at (its identity is unknown).
   */
  public static Dataset<Row> identify(Dataset<Row> input, Configuration conf) {
    HadoopConf hc = new HadoopConf(conf);
    FlatMapFunction<Iterator<Row>, Row> stat = it -> {
      Configuration c = hc.get();
      List<Row> out = new ArrayList<>();
      while (it.hasNext()) {
        Row r = it.next();
        FileIdentity id = r.isNullAt(2) ? FileIdentity.of(r.getString(1), c) : null;
        out.add(id == null
            ? RowFactory.create(r.getLong(0), r.getString(1), null, null, null)
            : RowFactory.create(r.getLong(0), r.getString(1), id.sizeBytes(), id.modifiedAt(), id.etag()));
      }
      return out.iterator();
    };
    Dataset<Row> rows = input.select("image_id", "path", "refused");
    return rows.sparkSession().createDataFrame(rows.javaRDD().mapPartitions(stat), IDENTIFIED);
  }

  /**
   * The ids of {@code identified} input rows ({@link #IDENTIFIED}) to skip.
   *
   * @param images the images table (every run under the output)
   * @param runs the runs table
   * @param runId this run, whose own rows never count (they are resumed, not skipped)
   */
  public static Dataset<Row> skippedIds(Dataset<Row> identified, Dataset<Row> images, Dataset<Row> runs,
      Model model, Settings unrecorded, String runId) {
    if (!List.of(images.columns()).containsAll(List.of("size_bytes", "modified_at", "etag"))) {
      return identified.select("image_id").limit(0); // written before images recorded content: nothing to compare
    }
    Dataset<Row> done = runs
        .where(functions.col("status").equalTo("succeeded")
            .and(functions.col("model_name").equalTo(model.name()))
            .and(functions.col("model_version").equalTo(model.version()))
            .and(functions.col("model_sha256").equalTo(model.sha256()))
            .and(sameSetting("precision", DataTypes.StringType, model.settings().precision(), unrecorded.precision()))
            .and(sameSetting("flip_test", DataTypes.BooleanType, model.settings().flipTest(), unrecorded.flipTest()))
            .and(sameSetting("score_threshold", DataTypes.FloatType, model.settings().scoreThreshold(),
                unrecorded.scoreThreshold()))
            .and(sameSetting("mask_threshold", DataTypes.FloatType, model.settings().maskThreshold(),
                unrecorded.maskThreshold()))
            .and(functions.col("run_id").notEqual(runId)))
        .select(functions.col("run_id").as("done_run")).distinct();
    Dataset<Row> earlier = images.where(functions.col("status").equalTo("ok"))
        .join(done, images.col("run_id").equalTo(done.col("done_run")), "left_semi")
        .select(functions.col("path").as("e_path"), functions.col("size_bytes").as("e_size"),
            functions.col("modified_at").as("e_modified"), functions.col("etag").as("e_etag"));
    Column same = identified.col("path").equalTo(earlier.col("e_path"))
        .and(identified.col("size_bytes").equalTo(earlier.col("e_size")))
        .and(identified.col("modified_at").equalTo(earlier.col("e_modified")))
        .and(identified.col("etag").eqNullSafe(earlier.col("e_etag")));
    return identified.where(functions.col("size_bytes").isNotNull().and(functions.col("modified_at").isNotNull()))
        .join(earlier, same, "left_semi")
        .select("image_id");
  }

  /** The run's {@code summary.model.<field>} (or {@code unrecorded} where absent) equals {@code current}. */
  private static Column sameSetting(String field, org.apache.spark.sql.types.DataType type, Object current,
      Object unrecorded) {
    Column recorded = functions.get_json_object(functions.col("summary"), "$.model." + field).cast(type);
    return functions.coalesce(recorded, functions.lit(unrecorded).cast(type)).equalTo(functions.lit(current).cast(type));
  }
}
