package io.sparkseg.job.run;

import io.sparkseg.core.model.ModelBundle;
import io.sparkseg.job.config.Durability;
import io.sparkseg.job.config.Outputs;
import io.sparkseg.job.config.SegmentConfig;
import io.sparkseg.job.executor.ModelRef;
import io.sparkseg.job.input.InputResolver;
import io.sparkseg.job.input.ResolvedInput;
import io.sparkseg.job.output.format.RunTables;
import io.sparkseg.job.secrets.Secrets;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segment run, driver side: validates the model bundle (fetch, model.json, sha256, and the model file
 * loaded and run once on the CPU) and the input before any task runs, hands the executors the bundle's digest
 * so they run that bundle and no other, takes the run's lock ({@link RunLock}: a second attempt fails fast),
 * reads the run's {@code runs} row and decides ({@link RunDecision}): a finished run computes
 * nothing and returns its stored summary; otherwise a {@link RunAttempt} segments what is left in
 * commits and returns the run's {@link RunSummary}. Validation failures throw
 * {@link io.sparkseg.core.model.InvalidBundleException}, {@link io.sparkseg.job.input.InputException},
 * {@link RunLockedException} or {@link RunConflictException}.
 */
public final class SegmentJob {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentJob.class);
  /** Images per partition when --partitions is 0 (auto). */
  static final int IMAGES_PER_PARTITION = 256;

  private SegmentJob() {}

  public static RunSummary run(SparkSession spark, SegmentConfig c) throws IOException {
    long t0 = System.nanoTime();
    Configuration hconf = spark.sparkContext().hadoopConfiguration();
    Outputs o = c.outputs();
    Durability d = c.durability();
    String runId = o.runId();

    ModelRef.Validated validated = c.model().validateOnDriver(hconf);
    ModelBundle bundle = validated.bundle();
    c = c.withModel(validated.model()); // executors run this bundle and no other
    long tModel = System.nanoTime();
    LOG.info("model bundle {} {} ({}, sha256 {}) is valid: model.json, sha256, and model file loaded and checked "
        + "on the driver in {} ms", bundle.name(), bundle.version(), Secrets.redact(c.model().uri()),
        bundle.sha256(), (tModel - t0) / 1_000_000);
    ResolvedInput input = InputResolver.resolve(spark, c.input());
    long tInput = System.nanoTime();
    String inputDescription = Secrets.redact(c.input().describe());
    try {
      RunTables tables = RunTables.open(spark, d.format(), o.output());
      String attempt = Attempts.newId();
      try (RunLock lock = RunLock.acquire(hconf, RunLocks.fileFor(spark, d.format(), o.output(), runId),
          RunLock.Holder.current(runId, attempt, spark.sparkContext().applicationId()),
          Duration.ofMillis((long) (d.lockTimeoutSeconds() * 1000)), RunLock.HEARTBEAT)) {
        Optional<Row> stored = tables.run(runId);
        RunDecision decision = RunDecision.decide(runId, d.runMode(), stored.map(SegmentJob::stored).orElse(null),
            new RunDecision.Invocation(bundle.name(), bundle.version(), bundle.sha256(), inputDescription));
        if (decision == RunDecision.FINISHED) {
          String status = stored.get().getAs("status");
          String summary = stored.get().getAs("summary");
          LOG.info("run {} already finished ({}): nothing to compute", runId, status);
          if (summary == null) {
            throw new IllegalStateException("run " + runId + " is " + status + " but its runs row has no summary");
          }
          RunSummary s = RunSummary.parse(summary);
          if (o.summaryJson() != null) {
            s.writeTo(o.summaryJson(), hconf);
          }
          return s;
        }
        RunRecord record = RunRecord.begin(runId, d.runMode(), attempt, stored,
            new RunRecord.Model(bundle.name(), bundle.version(), bundle.sha256()), inputDescription, d.format().id(),
            d.commitImages(), input.count());
        return new RunAttempt(spark, c, bundle, input, tables, lock, record, decision).run(t0, tModel, tInput);
      }
    } finally {
      input.release();
      spark.sparkContext().setJobDescription(null);
    }
  }

  private static RunDecision.Stored stored(Row r) {
    return new RunDecision.Stored(r.getAs("status"), r.getAs("model_name"), r.getAs("model_version"),
        r.getAs("model_sha256"), r.getAs("input"));
  }

  static int autoPartitions(long total, int defaultParallelism) {
    long wanted = Math.max(defaultParallelism, (total + IMAGES_PER_PARTITION - 1) / IMAGES_PER_PARTITION);
    return (int) Math.max(1, Math.min(total, Math.min(wanted, 100_000)));
  }
}
