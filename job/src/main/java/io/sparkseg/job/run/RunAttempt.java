package io.sparkseg.job.run;

import io.sparkseg.core.model.ModelBundle;
import io.sparkseg.core.model.Precision;
import io.sparkseg.core.model.PredictOptions;
import io.sparkseg.core.result.ImageStatus;
import io.sparkseg.job.config.Outputs;
import io.sparkseg.job.config.SegmentConfig;
import io.sparkseg.job.executor.ExecutorSettings;
import io.sparkseg.job.executor.RunMetrics;
import io.sparkseg.job.fs.HadoopConf;
import io.sparkseg.job.input.ResolvedInput;
import io.sparkseg.job.output.CocoResultsExporter;
import io.sparkseg.job.output.OutputLayout;
import io.sparkseg.job.output.RunWriter;
import io.sparkseg.job.output.TableRegistrar;
import io.sparkseg.job.output.format.RunTables;
import io.sparkseg.job.output.format.Staging;
import io.sparkseg.job.output.format.TableFormat;
import io.sparkseg.job.secrets.Secrets;
import io.sparkseg.tables.ImagesTable;
import java.io.IOException;
import java.time.Instant;
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
 * One attempt's work on a run it holds the lock of: drops what a crash left half-written, plans the
 * remaining images ({@link CommitPlan}), and segments them commit by commit. A commit's results are
 * cached only until both its tables are written ({@link RunTables#appendCommit}); the runs row is
 * rewritten after each. A replace writes into a staging area and publishes it at the end; its runs
 * row changes only then, so readers keep the previous run whole. Then the run's summary, computed
 * from the run's tables (every attempt's commits).
 */
final class RunAttempt {
  private static final Logger LOG = LoggerFactory.getLogger(RunAttempt.class);
  /** Rows per output file (roughly). */
  static final int IMAGES_PER_FILE = 50_000;

  private final SparkSession spark;
  private final SegmentConfig c;
  private final ModelBundle bundle;
  private final ResolvedInput input;
  private final RunTables tables;
  private final RunLock lock;
  private final RunRecord record;
  private final boolean replace;
  private final String runId;

  RunAttempt(SparkSession spark, SegmentConfig c, ModelBundle bundle, ResolvedInput input, RunTables tables,
      RunLock lock, RunRecord record, RunDecision decision) {
    this.spark = spark;
    this.c = c;
    this.bundle = bundle;
    this.input = input;
    this.tables = tables;
    this.lock = lock;
    this.record = record;
    this.replace = decision == RunDecision.REPLACE;
    this.runId = c.outputs().runId();
  }

  /** Runs the attempt; {@code t0}.. are the driver's clock at its start, after the model and after the input. */
  RunSummary run(long t0, long tModel, long tInput) throws IOException {
    Staging staging = replace ? tables.stage(runId, record.attempt) : null;
    try {
      return commitAll(staging, t0, tModel, tInput);
    } catch (RuntimeException | IOException | Error e) {
      fail(staging, e);
      throw e;
    }
  }

  private RunSummary commitAll(Staging staging, long t0, long tModel, long tInput) throws IOException {
    Configuration hconf = spark.sparkContext().hadoopConfiguration();
    int n = c.durability().commitImages();
    Dataset<Row> committed = null;
    int first = 0;
    if (!replace) {
      tables.dropOrphans(runId);
      first = tables.lastCommit(runId) + 1;
      if (first > 0) {
        Dataset<Row> images = tables.images(runId);
        committed = images.select("image_id");
        record.reconcile(images.groupBy("commit").agg(functions.count("*"),
                functions.coalesce(functions.sum("num_instances"), functions.lit(0L)),
                functions.sum(functions.when(functions.col("status").equalTo(ImageStatus.OK.code()), 1L)
                    .otherwise(0L)))
            .collectAsList());
      }
    }
    Dataset<Row> skipped = null;
    if (c.durability().runMode() == RunMode.INCREMENTAL) {
      spark.sparkContext().setJobDescription("sparkseg " + runId + ": incremental: find unchanged images");
      skipped = IncrementalSkip.skippedIds(IncrementalSkip.identify(input.rows(), hconf), tables.allImages(),
          tables.runs(), new IncrementalSkip.Model(bundle.name(), bundle.version(), bundle.sha256(), settings()),
          unrecordedSettings(), runId);
    }
    spark.sparkContext().setJobDescription("sparkseg " + runId + ": plan commits");
    try (CommitPlan plan = plan(committed, skipped, n, first)) {
      long tPlan = System.nanoTime();
      record.imagesResumed = plan.resumed();
      record.imagesCommitted = plan.resumed();
      record.imagesSkipped = plan.skipped();
      LOG.info("run {} ({}, attempt {}): {} images, {} committed by earlier attempts, {} skipped, {} to compute in "
              + "{} commits of at most {}", runId, c.durability().runMode().id(), record.attempt, input.count(),
          plan.resumed(), plan.skipped(), plan.remaining(), plan.commits(), n);
      if (!replace) {
        tables.putRun(record.toRow());
      }
      RunMetrics metrics = new RunMetrics(spark.sparkContext());
      ExecutorSettings settings = new ExecutorSettings(c.model(), c.thresholds(), c.pipeline(), new HadoopConf(hconf));
      long segmentNanos = 0;
      long writeNanos = 0;
      try (ProgressReporter progress = new ProgressReporter(spark.sparkContext(), metrics, plan.remaining(),
          c.limits().progressIntervalSeconds())) {
        while (plan.hasNext()) {
          lock.check();
          Commit k = plan.next();
          long[] nanos = commit(k, staging, settings, metrics);
          segmentNanos += nanos[0];
          writeNanos += nanos[1];
          LOG.info("run {}: commit {} done ({} images); {}", runId, k.index(), k.images(), progress.line());
        }
      }
      if (replace) {
        lock.check();
        spark.sparkContext().setJobDescription("sparkseg " + runId + ": publish the replacement");
        staging.publish();
      }
      return finish(t0, tModel, tInput, tPlan, segmentNanos, writeNanos, metrics);
    }
  }

  private CommitPlan plan(Dataset<Row> committed, Dataset<Row> skipped, int n, int first) {
    if (input.listedRows() != null) {
      long[] done = committed == null ? SortedIds.none() : SortedIds.collect(committed);
      long[] skip = skipped == null ? SortedIds.none() : SortedIds.collect(skipped);
      return CommitPlan.listed(spark, input.listedRows(), done, skip, n, first);
    }
    return CommitPlan.table(spark, input.rows(), committed, skipped, n, first);
  }

  /** Segments and writes one commit; returns the nanoseconds spent segmenting and writing. */
  private long[] commit(Commit k, Staging staging, ExecutorSettings settings, RunMetrics metrics) {
    long t0 = System.nanoTime();
    int partitions = c.limits().partitions() > 0 ? (int) Math.max(1, Math.min(c.limits().partitions(), k.images()))
        : SegmentJob.autoPartitions(k.images(), spark.sparkContext().defaultParallelism());
    spark.sparkContext().setJobDescription("sparkseg " + runId + ": commit " + k.index() + " (" + k.images()
        + " images)");
    // cached as an RDD, not with Dataset.persist: in Spark 4.0.1 every Dataset.persist leaves a
    // cloned session alive after unpersist, a driver leak per commit (DriverHeapPerCommitTest)
    JavaRDD<Row> computed = k.partitioned(partitions).mapPartitions(new ImageResultPartitions(settings, metrics))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> results = spark.createDataFrame(computed, ImagesTable.WITH_INSTANCES);
    try {
      long images = 0;
      long ok = 0;
      long instances = 0;
      for (Row r : results.groupBy("status")
          .agg(functions.count("*"), functions.coalesce(functions.sum("num_instances"), functions.lit(0L)))
          .collectAsList()) {
        images += r.getLong(1);
        ok += ImageStatus.OK.code().equals(r.getString(0)) ? r.getLong(1) : 0;
        instances += r.getLong(2);
      }
      if (images != k.images()) {
        throw new IllegalStateException("internal error: commit " + k.index() + " has " + k.images()
            + " input images but " + images + " results");
      }
      long t1 = System.nanoTime();
      int files = (int) Math.max(1, (images + IMAGES_PER_FILE - 1) / IMAGES_PER_FILE);
      Dataset<Row> inst = RunWriter.instancesOf(results, bundle.name(), bundle.version(), runId).coalesce(files);
      Dataset<Row> imgs = RunWriter.imagesOf(results, runId).coalesce(files);
      if (replace) {
        staging.appendCommit(k.index(), inst, imgs);
      } else {
        tables.appendCommit(runId, record.attempt, k.index(), inst, imgs);
      }
      record.committed(k.index(), images, instances, ok, images - ok);
      if (!replace) {
        tables.putRun(record.toRow());
      }
      return new long[] {t1 - t0, System.nanoTime() - t1};
    } finally {
      computed.unpersist(false);
    }
  }

  private RunSummary finish(long t0, long tModel, long tInput, long tPlan, long segmentNanos, long writeNanos,
      RunMetrics metrics) throws IOException {
    Configuration hconf = spark.sparkContext().hadoopConfiguration();
    Outputs o = c.outputs();
    spark.sparkContext().setJobDescription("sparkseg " + runId + ": run statistics");
    Map<String, Long> byStatus = new TreeMap<>();
    long instances = 0;
    for (Row r : tables.images(runId).groupBy("status")
        .agg(functions.count("*"), functions.coalesce(functions.sum("num_instances"), functions.lit(0L)))
        .collectAsList()) {
      byStatus.put(r.getString(0), r.getLong(1));
      instances += r.getLong(2);
    }
    long inRun = byStatus.values().stream().mapToLong(Long::longValue).sum();
    long expected = input.count() - record.imagesSkipped;
    if (inRun != expected) {
      throw new IllegalStateException("internal error: run " + runId + " has " + inRun + " images committed, "
          + expected + " expected");
    }
    long tStats = System.nanoTime();
    Long cocoCount = null;
    if (o.cocoResults() != null) {
      spark.sparkContext().setJobDescription("sparkseg " + runId + ": COCO results export");
      cocoCount = CocoResultsExporter.export(tables.instances(runId), o.cocoResults(), hconf);
    }
    List<String> registered = null;
    TableFormat format = tables.format();
    OutputLayout layout = format == TableFormat.ICEBERG ? null : new OutputLayout(o.output());
    if (o.registerTables() != null) {
      registered = TableRegistrar.register(spark, o.registerTables(), format, o.output(), runId);
    }
    long tEnd = System.nanoTime();

    long ok = byStatus.getOrDefault(ImageStatus.OK.code(), 0L);
    long failed = inRun - ok;
    double failedFraction = inRun == 0 ? 0 : (double) failed / inRun;
    RunStatus status = failedFraction > c.limits().maxFailedFraction() ? RunStatus.FAILED_FRACTION_EXCEEDED
        : RunStatus.SUCCEEDED;
    double segmentS = secs(segmentNanos);
    record.status = status.code();
    record.finishedAt = Instant.now();
    record.instances = instances;
    RunSummary.Outputs outputs = layout != null
        ? new RunSummary.Outputs(Secrets.redact(layout.instances() + "/run_id=" + runId),
            Secrets.redact(layout.images() + "/run_id=" + runId), Secrets.redact(o.output() + "/runs"),
            Secrets.redact(layout.summary(runId)), Secrets.redact(o.cocoResults()), cocoCount, registered)
        : new RunSummary.Outputs(o.output() + ".instances", o.output() + ".images", o.output() + ".runs", null,
            Secrets.redact(o.cocoResults()), cocoCount, registered);
    RunSummary s = new RunSummary(runId, status, record.mode.id(), format.id(), record.attempt, record.attempts,
        record.startedAt.toString(), record.finishedAt.toString(), Secrets.redact(c.input().describe()),
        Secrets.redact(o.output()),
        new RunSummary.Model(Secrets.redact(c.model().uri()), bundle.name(), bundle.version(), bundle.sha256(),
            settings().flipTest(), settings().precision(), settings().scoreThreshold(), settings().maskThreshold(),
            metrics.placements()),
        input.count(), record.imagesResumed, record.imagesComputed, record.imagesSkipped, byStatus, ok, failed,
        round(failedFraction, 4), c.limits().maxFailedFraction(), instances,
        round(segmentS > 0 ? record.imagesComputed / segmentS : 0, 3), record.commitCount(),
        c.durability().commitImages(), c.limits().partitions(), c.pipeline().maxBatch(),
        new RunSummary.Timings(round(secs(tEnd - t0), 3), round(secs(tModel - t0), 3), round(secs(tInput - tModel), 3),
            round(secs(tPlan - tInput), 3), round(segmentS, 3), round(secs(writeNanos), 3),
            round(secs(tStats - tPlan - segmentNanos - writeNanos), 3), round(secs(tEnd - tStats), 3),
            metrics.modelLoads.value(), metrics.modelLoadMs.value(), round(metrics.readMs.value(), 1),
            round(metrics.decodeMs.value(), 1), round(metrics.inferenceMs.value(), 1)),
        outputs, new RunSummary.Spark(spark.sparkContext().applicationId(), Secrets.redact(spark.sparkContext().master())));
    record.summary = s.toJson();
    if (layout != null) {
      s.writeTo(layout.summary(runId), hconf);
    }
    tables.putRun(record.toRow());
    if (o.summaryJson() != null) {
      s.writeTo(o.summaryJson(), hconf);
    }
    return s;
  }

  /** Records the failure in the runs row (best effort; a replace leaves the previous run's row alone). */
  private void fail(Staging staging, Throwable e) {
    try {
      if (replace) {
        staging.discard();
      } else {
        record.status = "failed";
        tables.putRun(record.toRow());
      }
    } catch (RuntimeException second) {
      e.addSuppressed(second);
      LOG.warn("run {}: could not record the failure: {}", runId, second.toString());
    }
  }

  private static double secs(long nanos) {
    return nanos / 1e9;
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  /** The settings that change the model's detections, as this run resolves them (null thresholds: the bundle's). */
  private IncrementalSkip.Settings settings() {
    PredictOptions d = bundle.defaultOptions();
    Float score = c.thresholds().score();
    Float mask = c.thresholds().mask();
    return new IncrementalSkip.Settings(c.model().parsedPrecision().id(), c.model().flip().flips(bundle),
        score == null ? d.scoreThreshold() : score, mask == null ? d.maskThreshold() : mask);
  }

  /**
   * What a run whose summary does not record a setting is taken to have run with: fp32 (the only
   * precision then) and the bundle's defaults.
   */
  private IncrementalSkip.Settings unrecordedSettings() {
    PredictOptions d = bundle.defaultOptions();
    return new IncrementalSkip.Settings(Precision.FP32.id(), bundle.flipByDefault(), d.scoreThreshold(),
        d.maskThreshold());
  }
}
