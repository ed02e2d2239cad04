package io.sparkseg.job.cli.bench;

import io.sparkseg.core.model.FlipTest;
import io.sparkseg.job.cli.SparkSessions;
import io.sparkseg.job.config.Durability;
import io.sparkseg.job.config.Outputs;
import io.sparkseg.job.config.RunLimits;
import io.sparkseg.job.config.SegmentConfig;
import io.sparkseg.job.config.SegmentKeys;
import io.sparkseg.job.executor.Device;
import io.sparkseg.job.executor.ModelRef;
import io.sparkseg.job.executor.PipelineSettings;
import io.sparkseg.job.executor.Thresholds;
import io.sparkseg.job.input.InputSpec;
import io.sparkseg.job.run.RunSummary;
import io.sparkseg.job.run.SegmentJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Runs the segment job in this JVM on lists of sample files (local mode: the driver is the executor). */
final class BenchJobs {
  private final SparkSessions.Handle session;
  private final Path workDir;
  private final Path model;
  private final int batchSize;
  private final PipelineSettings threads;
  private final FlipTest flip;
  private final String precision;
  private long nextId = 1;

  BenchJobs(SparkSessions.Handle session, Path workDir, Path model, int batchSize, PipelineSettings threads,
      FlipTest flip, String precision) throws Exception {
    this.flip = flip;
    this.precision = precision;
    this.session = session;
    this.workDir = workDir;
    this.model = model;
    this.batchSize = batchSize;
    this.threads = threads;
    Files.createDirectories(workDir);
  }

  /** One run over {@code files} (ids continue across runs, so every image is a new one). */
  RunSummary run(String runId, List<Path> files, int partitions) throws Exception {
    Path manifest = workDir.resolve(runId + "-manifest.csv");
    StringBuilder csv = new StringBuilder("path,image_id\n");
    for (Path f : files) {
      csv.append(f.toAbsolutePath()).append(',').append(nextId++).append('\n');
    }
    Files.writeString(manifest, csv.toString());
    return SegmentJob.run(session.spark(), options(manifest, runId, partitions));
  }

  /** The segment job's options for one run: the manifest in, the scratch folder out, the rest as segment's defaults. */
  private SegmentConfig options(Path manifest, String runId, int partitions) {
    return new SegmentConfig(new InputSpec(null, manifest.toString(), null, null),
        new ModelRef(model.toAbsolutePath().toUri().toString(), workDir.resolve("cache").toAbsolutePath().toString(),
            flip.name(), new Device("cpu"), precision),
        new Thresholds(null, null, SegmentKeys.MAX_IMAGE_PIXELS_DEFAULT, SegmentKeys.MAX_IMAGE_BYTES_DEFAULT),
        SegmentKeys.defaultPipeline(batchSize, threads.inferenceThreads(), threads.torchThreads()),
        new Outputs(workDir.resolve("out").toAbsolutePath().toString(), runId, null, null, null),
        new RunLimits(partitions, SegmentKeys.MAX_FAILED_FRACTION_DEFAULT, 0),
        new Durability(SegmentKeys.COMMIT_IMAGES_DEFAULT, SegmentKeys.MODE_DEFAULT, SegmentKeys.TABLE_FORMAT_DEFAULT,
            SegmentKeys.LOCK_TIMEOUT_S_DEFAULT));
  }
}
