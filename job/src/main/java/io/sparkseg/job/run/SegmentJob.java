package io.sparkseg.job.run;

import io.sparkseg.core.model.ModelBundle;
import io.sparkseg.core.result.ImageStatus;
import io.sparkseg.job.config.Outputs;
import io.sparkseg.job.config.SegmentConfig;
import io.sparkseg.job.executor.ExecutorSettings;
import io.sparkseg.job.executor.RunMetrics;
import io.sparkseg.job.fs.HadoopConf;
import io.sparkseg.job.input.InputResolver;
import io.sparkseg.job.input.ResolvedInput;
import io.sparkseg.job.output.CocoResultsExporter;
import io.sparkseg.job.output.OutputLayout;
import io.sparkseg.job.output.RunSummary;
import io.sparkseg.job.output.RunWriter;
import io.sparkseg.job.output.TableRegistrar;
import io.sparkseg.tables.ImagesTable;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segment run, driver side: validates the model bundle (fetch + model.json + sha256) and the
 * input before any task runs, segments the images in partitions ({@link ImageResultPartitions}),
 * writes the {@code instances} and {@code images} tables for the run ({@link RunWriter}),
 * optionally exports COCO results and registers catalog tables, and returns the
 * {@link RunSummary}. Validation failures throw {@link io.sparkseg.core.model.InvalidBundleException}
 * or {@link io.sparkseg.job.input.InputException}.
 */
public final class SegmentJob {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentJob.class);
  /** Images per partition when --partitions is 0 (auto). */
  static final int IMAGES_PER_PARTITION = 256;
  /** Rows per output file (roughly) when coalescing for the write. */
  static final int IMAGES_PER_FILE = 50_000;

  private SegmentJob() {}

  public static RunSummary run(SparkSession spark, SegmentConfig c) throws IOException {
    long t0 = System.nanoTime();
    Instant started = Instant.now();
    Configuration hconf = spark.sparkContext().hadoopConfiguration();
    Outputs o = c.outputs();
    OutputLayout layout = new OutputLayout(o.output());

    ModelBundle bundle = c.model().validateOnDriver(hconf);
    long tModel = System.nanoTime();
    LOG.info("model bundle {} {} ({}) is valid", bundle.name(), bundle.version(), RunSummary.redact(c.model().uri()));

    ResolvedInput input = InputResolver.resolve(spark, c.input());
    long total = input.count();
    long tInput = System.nanoTime();
    int partitions = c.limits().partitions() > 0 ? c.limits().partitions() : autoPartitions(total, spark.sparkContext().defaultParallelism());
    LOG.info("run {}: {} images from {}, {} partitions, batch size {}", o.runId(), total, c.input().describe(),
        partitions, c.pipeline().maxBatch());

    RunMetrics metrics = new RunMetrics(spark.sparkContext());
    ExecutorSettings settings = new ExecutorSettings(c.model(), c.thresholds(), c.pipeline(), new HadoopConf(hconf));
    JavaRDD<Row> rows = input.partitioned(partitions).mapPartitions(new ImageResultPartitions(settings, metrics));
    Dataset<Row> results = spark.createDataFrame(rows, ImagesTable.WITH_INSTANCES).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long done;
      spark.sparkContext().setJobDescription("sparkseg " + o.runId() + ": segment " + total + " images");
      try (ProgressReporter progress =
          new ProgressReporter(spark.sparkContext(), metrics, total, c.limits().progressIntervalSeconds())) {
        done = results.count();
        LOG.info(progress.line());
      }
      long tSegment = System.nanoTime();
      if (done != total) {
        throw new IllegalStateException("internal error: " + total + " input images but " + done + " results");
      }
      Map<String, Long> byStatus = new TreeMap<>();
      for (Row r : results.groupBy("status").count().collectAsList()) {
        byStatus.put(r.getString(0), r.getLong(1));
      }
      Row sums = results.agg(functions.coalesce(functions.sum("num_instances"), functions.lit(0L))).first();
      long instances = ((Number) sums.get(0)).longValue();

      spark.sparkContext().setJobDescription("sparkseg " + o.runId() + ": write tables");
      int files = (int) Math.max(1, Math.min(partitions, (total + IMAGES_PER_FILE - 1) / IMAGES_PER_FILE));
      RunWriter.write(spark, results, layout, bundle.name(), bundle.version(), o.runId(), files, instances);
      long tWrite = System.nanoTime();

      Long cocoCount = null;
      if (o.cocoResults() != null) {
        spark.sparkContext().setJobDescription("sparkseg " + o.runId() + ": COCO results export");
        cocoCount = CocoResultsExporter.export(
            RunWriter.instancesOf(results, bundle.name(), bundle.version(), o.runId()), o.cocoResults(), hconf);
      }
      List<String> tables = null;
      if (o.registerTables() != null) {
        tables = TableRegistrar.register(spark, o.registerTables(), layout, o.runId());
      }
      long tEnd = System.nanoTime();

      long ok = byStatus.getOrDefault(ImageStatus.OK.code(), 0L);
      long failed = total - ok;
      double failedFraction = total == 0 ? 0 : (double) failed / total;
      boolean tooManyFailed = failedFraction > c.limits().maxFailedFraction();
      double segmentS = secs(tSegment - tInput);
      RunSummary s = new RunSummary();
      s.put("run_id", o.runId());
      s.put("status", tooManyFailed ? "failed_fraction_exceeded" : "succeeded");
      s.put("started_at", started.toString());
      s.put("finished_at", Instant.now().toString());
      s.put("input", RunSummary.redact(c.input().describe()));
      s.put("output", RunSummary.redact(layout.root()));
      Map<String, Object> model = new LinkedHashMap<>();
      model.put("uri", RunSummary.redact(c.model().uri()));
      model.put("name", bundle.name());
      model.put("version", bundle.version());
      model.put("sha256", bundle.sha256());
      model.put("flip_test", c.model().flip().flips(bundle));
      s.put("model", model);
      s.put("images_total", total);
      s.put("images_by_status", byStatus);
      s.put("images_ok", ok);
      s.put("images_failed", failed);
      s.put("failed_fraction", round(failedFraction, 4));
      s.put("max_failed_fraction", c.limits().maxFailedFraction());
      s.put("instances_total", instances);
      s.put("images_per_second", round(segmentS > 0 ? total / segmentS : 0, 3));
      s.put("partitions", partitions);
      s.put("batch_size", c.pipeline().maxBatch());
      Map<String, Object> timings = new LinkedHashMap<>();
      timings.put("wall_s", round(secs(tEnd - t0), 3));
      timings.put("model_validate_s", round(secs(tModel - t0), 3));
      timings.put("input_resolve_s", round(secs(tInput - tModel), 3));
      timings.put("segment_s", round(segmentS, 3));
      timings.put("write_s", round(secs(tWrite - tSegment), 3));
      timings.put("export_register_s", round(secs(tEnd - tWrite), 3));
      timings.put("model_loads", metrics.modelLoads.value());
      timings.put("model_load_ms_total", metrics.modelLoadMs.value());
      timings.put("read_ms_total", round(metrics.readMs.value(), 1));
      timings.put("decode_ms_total", round(metrics.decodeMs.value(), 1));
      timings.put("inference_ms_total", round(metrics.inferenceMs.value(), 1));
      s.put("timings", timings);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("instances", RunSummary.redact(layout.instances() + "/run_id=" + o.runId()));
      out.put("images", RunSummary.redact(layout.images() + "/run_id=" + o.runId()));
      out.put("summary", RunSummary.redact(layout.summary(o.runId())));
      if (o.cocoResults() != null) {
        out.put("coco_results", RunSummary.redact(o.cocoResults()));
        out.put("coco_results_count", cocoCount);
      }
      if (tables != null) {
        out.put("tables", tables);
      }
      s.put("outputs", out);
      s.put("spark", Map.of("app_id", spark.sparkContext().applicationId(), "master", spark.sparkContext().master()));
      s.writeTo(layout.summary(o.runId()), hconf);
      if (o.summaryJson() != null) {
        s.writeTo(o.summaryJson(), hconf);
      }
      return s;
    } finally {
      results.unpersist(false);
      input.release();
      spark.sparkContext().setJobDescription(null);
    }
  }

  static int autoPartitions(long total, int defaultParallelism) {
    long wanted = Math.max(defaultParallelism, (total + IMAGES_PER_PARTITION - 1) / IMAGES_PER_PARTITION);
    return (int) Math.max(1, Math.min(total, Math.min(wanted, 100_000)));
  }

  private static double secs(long nanos) {
    return nanos / 1e9;
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }
}
