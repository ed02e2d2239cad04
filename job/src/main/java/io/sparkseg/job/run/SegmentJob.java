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
import io.sparkseg.job.output.RunWriter;
import io.sparkseg.job.output.TableRegistrar;
import io.sparkseg.tables.ImagesTable;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segment run, driver side: validates the model bundle (fetch + model.json + sha256) and
 * resolves the input before any task runs, segments the images in partitions
 * ({@link ImageResultPartitions}), writes the {@code instances} and {@code images} tables for the
 * run ({@link RunWriter}), optionally exports COCO results and registers catalog tables, and returns
 * the {@link RunSummary}. Validation failures throw {@link io.sparkseg.core.model.InvalidBundleException}
 * or {@link io.sparkseg.job.input.InputException}.
 */
public final class SegmentJob {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentJob.class);
  /** Images per partition when --partitions is 0 (auto). */
  static final int IMAGES_PER_PARTITION = 256;
  /** Rows per output file (roughly) when coalescing for the write. */
  static final int IMAGES_PER_FILE = 50_000;

  private SegmentJob() {}

  /** The segmented images: how many per status and how many instances in all. */
  private record Counts(Map<String, Long> byStatus, long instances) {}

  public static RunSummary run(SparkSession spark, SegmentConfig c) throws IOException {
    Instant started = Instant.now();
    long t0 = System.nanoTime();
    SparkContext sc = spark.sparkContext();
    Configuration hconf = sc.hadoopConfiguration();
    Outputs o = c.outputs();
    OutputLayout layout = new OutputLayout(o.output());

    ModelBundle bundle = c.model().validateOnDriver(hconf);
    long tModel = System.nanoTime();
    LOG.info("model bundle {} {} ({}) is valid", bundle.name(), bundle.version(), RunSummary.redact(c.model().uri()));

    ResolvedInput input = InputResolver.resolve(spark, c.input());
    long total = input.count();
    long tInput = System.nanoTime();
    int partitions = c.limits().partitions() > 0 ? c.limits().partitions() : autoPartitions(total, sc.defaultParallelism());
    LOG.info("run {}: {} images from {}, {} partitions, batch size {}", o.runId(), total, c.input().describe(),
        partitions, c.pipeline().maxBatch());

    RunMetrics metrics = new RunMetrics(sc);
    ExecutorSettings settings = new ExecutorSettings(c.model(), c.thresholds(), c.pipeline(), new HadoopConf(hconf));
    JavaRDD<Row> rows = input.partitioned(partitions).mapPartitions(new ImageResultPartitions(settings, metrics));
    Dataset<Row> results = spark.createDataFrame(rows, ImagesTable.WITH_INSTANCES).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      sc.setJobDescription("sparkseg " + o.runId() + ": segment " + total + " images");
      Counts counts = segment(results, total, metrics, c.limits().progressIntervalSeconds(), sc);
      long tSegment = System.nanoTime();

      sc.setJobDescription("sparkseg " + o.runId() + ": write tables");
      int files = (int) Math.max(1, Math.min(partitions, (total + IMAGES_PER_FILE - 1) / IMAGES_PER_FILE));
      RunWriter.write(spark, results, layout, bundle.name(), bundle.version(), o.runId(), files, counts.instances());
      long tWrite = System.nanoTime();

      Long cocoCount = null;
      if (o.cocoResults() != null) {
        sc.setJobDescription("sparkseg " + o.runId() + ": COCO results export");
        cocoCount = CocoResultsExporter.export(
            RunWriter.instancesOf(results, bundle.name(), bundle.version(), o.runId()), o.cocoResults(), hconf);
      }
      List<String> tables = o.registerTables() == null ? null
          : TableRegistrar.register(spark, o.registerTables(), layout, o.runId());
      long tEnd = System.nanoTime();

      long ok = counts.byStatus().getOrDefault(ImageStatus.OK.code(), 0L);
      long failed = total - ok;
      double failedFraction = total == 0 ? 0 : (double) failed / total;
      double segmentS = secs(tSegment - tInput);
      RunSummary s = new RunSummary(
          o.runId(),
          failedFraction > c.limits().maxFailedFraction() ? RunStatus.FAILED_FRACTION_EXCEEDED : RunStatus.SUCCEEDED,
          started.toString(), Instant.now().toString(),
          RunSummary.redact(c.input().describe()), RunSummary.redact(layout.root()),
          new RunSummary.Model(RunSummary.redact(c.model().uri()), bundle.name(), bundle.version(), bundle.sha256(),
              c.model().flip().flips(bundle)),
          total, counts.byStatus(), ok, failed, round(failedFraction, 4), c.limits().maxFailedFraction(),
          counts.instances(), round(segmentS > 0 ? total / segmentS : 0, 3), partitions, c.pipeline().maxBatch(),
          new RunSummary.Timings(round(secs(tEnd - t0), 3), round(secs(tModel - t0), 3), round(secs(tInput - tModel), 3),
              round(segmentS, 3), round(secs(tWrite - tSegment), 3), round(secs(tEnd - tWrite), 3),
              metrics.modelLoads.value(), metrics.modelLoadMs.value(), round(metrics.readMs.value(), 1),
              round(metrics.decodeMs.value(), 1), round(metrics.inferenceMs.value(), 1)),
          new RunSummary.Outputs(RunSummary.redact(layout.instances() + "/run_id=" + o.runId()),
              RunSummary.redact(layout.images() + "/run_id=" + o.runId()), RunSummary.redact(layout.summary(o.runId())),
              RunSummary.redact(o.cocoResults()), cocoCount, tables),
          new RunSummary.Spark(sc.applicationId(), sc.master()));
      s.writeTo(layout.summary(o.runId()), hconf);
      if (o.summaryJson() != null) {
        s.writeTo(o.summaryJson(), hconf);
      }
      return s;
    } finally {
      results.unpersist(false);
      input.release();
      sc.setJobDescription(null);
    }
  }

  /** Runs the segmenting tasks (logging progress) and counts their results. */
  private static Counts segment(Dataset<Row> results, long total, RunMetrics metrics, double progressIntervalSeconds,
      SparkContext sc) {
    long done;
    try (ProgressReporter progress = new ProgressReporter(sc, metrics, total, progressIntervalSeconds)) {
      done = results.count();
      LOG.info(progress.line());
    }
    if (done != total) {
      throw new IllegalStateException("internal error: " + total + " input images but " + done + " results");
    }
    Map<String, Long> byStatus = new TreeMap<>();
    for (Row r : results.groupBy(ImagesTable.STATUS).count().collectAsList()) {
      byStatus.put(r.getString(0), r.getLong(1));
    }
    Row sums = results.agg(functions.coalesce(functions.sum(ImagesTable.NUM_INSTANCES), functions.lit(0L))).first();
    return new Counts(byStatus, ((Number) sums.get(0)).longValue());
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
