package io.sparkseg.job.config;

import static io.sparkseg.job.config.SegmentKeys.BATCH_SIZE;
import static io.sparkseg.job.config.SegmentKeys.COMMIT_IMAGES;
import static io.sparkseg.job.config.SegmentKeys.LOCK_TIMEOUT_S;
import static io.sparkseg.job.config.SegmentKeys.DEVICE;
import static io.sparkseg.job.config.SegmentKeys.FLIP_TEST;
import static io.sparkseg.job.config.SegmentKeys.INFERENCE_THREADS;
import static io.sparkseg.job.config.SegmentKeys.MASK_THRESHOLD;
import static io.sparkseg.job.config.SegmentKeys.MAX_BATCH_WAIT_MS;
import static io.sparkseg.job.config.SegmentKeys.MAX_FAILED_FRACTION;
import static io.sparkseg.job.config.SegmentKeys.MAX_IMAGE_BYTES;
import static io.sparkseg.job.config.SegmentKeys.MAX_IMAGE_PIXELS;
import static io.sparkseg.job.config.SegmentKeys.MODEL;
import static io.sparkseg.job.config.SegmentKeys.PARTITIONS;
import static io.sparkseg.job.config.SegmentKeys.PRECISION;
import static io.sparkseg.job.config.SegmentKeys.POSTPROCESS_THREADS;
import static io.sparkseg.job.config.SegmentKeys.PREFETCH;
import static io.sparkseg.job.config.SegmentKeys.PREPARE_THREADS;
import static io.sparkseg.job.config.SegmentKeys.PROGRESS_INTERVAL;
import static io.sparkseg.job.config.SegmentKeys.SCORE_THRESHOLD;
import static io.sparkseg.job.config.SegmentKeys.TORCH_THREADS;

import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.model.FlipTest;
import io.sparkseg.job.executor.ImageBytes;
import io.sparkseg.job.executor.ModelRef;
import io.sparkseg.job.executor.PipelineSettings;
import io.sparkseg.job.executor.Thresholds;
import io.sparkseg.job.input.InputSpec;
import io.sparkseg.job.output.OutputLayout;
import io.sparkseg.job.output.TableRegistrar;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Everything one segment run needs, typed: the input, the model, thresholds, the executor pipeline,
 * the outputs, the run's limits and how it survives a crash (commits, mode, table format).
 * {@link #validate()} is the one place the settings are checked.
 */
public record SegmentConfig(InputSpec input, ModelRef model, Thresholds thresholds, PipelineSettings pipeline,
    Outputs outputs, RunLimits limits, Durability durability) {

  /** The same configuration with the model's canonical URI (known once a Hadoop configuration is). */
  public SegmentConfig withModelUri(String uri) {
    return withModel(model.withUri(uri));
  }

  /** The same configuration with another model reference (the validated one). */
  public SegmentConfig withModel(ModelRef m) {
    return new SegmentConfig(input, m, thresholds, pipeline, outputs, limits, durability);
  }

  /** Every problem of this configuration, each naming its option as {@code --KEY}; empty when valid. */
  public List<String> validate() {
    List<String> p = new ArrayList<>();
    String inputProblem = input.validate();
    if (inputProblem != null) {
      p.add(inputProblem);
    }
    if (outputs.output() == null || outputs.output().isBlank()) {
      p.add("--output is required");
    }
    String runId = outputs.runId();
    if (runId != null && !OutputLayout.validRunId(runId)) {
      p.add("--run-id must match [A-Za-z0-9][A-Za-z0-9._-]* (at most 128 characters), got '" + runId + "'");
    }
    p.addAll(executorProblems(model, thresholds, pipeline, key -> "--" + key));
    if (limits.partitions() < 0) {
      p.add("--" + PARTITIONS + " must be 0 (auto) or positive, got " + limits.partitions());
    }
    if (!(limits.maxFailedFraction() >= 0 && limits.maxFailedFraction() <= 1)) {
      p.add("--" + MAX_FAILED_FRACTION + " must be in [0,1], got " + limits.maxFailedFraction());
    }
    if (limits.progressIntervalSeconds() < 0) {
      p.add("--" + PROGRESS_INTERVAL + " must not be negative");
    }
    if (durability.commitImages() < 1) {
      p.add("--" + COMMIT_IMAGES + " must be at least 1, got " + durability.commitImages());
    }
    try {
      durability.runMode();
    } catch (IllegalArgumentException e) {
      p.add(e.getMessage());
    }
    try {
      durability.format();
    } catch (IllegalArgumentException e) {
      p.add(e.getMessage());
    }
    String database = TableRegistrar.databaseProblem(outputs.registerTables());
    if (database != null) {
      p.add(database);
    }
    if (!(durability.lockTimeoutSeconds() > 0)) {
      p.add("--" + LOCK_TIMEOUT_S + " must be positive, got " + durability.lockTimeoutSeconds());
    }
    return p;
  }

  /**
   * The problems of the settings every executor entry point shares (the segment job and the ML
   * transformer), each naming its setting by {@code name.apply(key)}.
   */
  public static List<String> executorProblems(ModelRef model, Thresholds thresholds, PipelineSettings pipeline,
      UnaryOperator<String> name) {
    List<String> p = new ArrayList<>();
    if (model.uri() == null || model.uri().isBlank()) {
      p.add(name.apply(MODEL) + " is required (no default in the config file)");
    }
    if (pipeline.maxBatch() < 1) {
      p.add(name.apply(BATCH_SIZE) + " must be at least 1, got " + pipeline.maxBatch());
    }
    if (pipeline.maxBatchWaitMs() < 0) {
      p.add(name.apply(MAX_BATCH_WAIT_MS) + " must be 0 or more, got " + pipeline.maxBatchWaitMs());
    }
    if (pipeline.prefetch() < 1) {
      p.add(name.apply(PREFETCH) + " must be at least 1, got " + pipeline.prefetch());
    }
    threads(p, name.apply(PREPARE_THREADS), pipeline.prepareThreads());
    threads(p, name.apply(INFERENCE_THREADS), pipeline.inferenceThreads());
    threads(p, name.apply(TORCH_THREADS), pipeline.torchThreads());
    threads(p, name.apply(POSTPROCESS_THREADS), pipeline.postprocessThreads());
    probability(p, name.apply(SCORE_THRESHOLD), thresholds.score());
    probability(p, name.apply(MASK_THRESHOLD), thresholds.mask());
    // each limit is at most what one Java array holds: a decoded image is one RGB array, a file one byte array
    limit(p, name.apply(MAX_IMAGE_PIXELS), thresholds.maxImagePixels(), ImageDecoder.MAX_PIXELS_LIMIT,
        " (3 bytes a pixel in one array)");
    limit(p, name.apply(MAX_IMAGE_BYTES), thresholds.maxImageBytes(), ImageBytes.MAX_BYTES_LIMIT, " (one array)");
    String device = model.device().problem();
    if (device != null) {
      p.add(name.apply(DEVICE) + " " + device);
    }
    try {
      FlipTest.parse(model.flipTest());
    } catch (IllegalArgumentException e) {
      p.add(name.apply(FLIP_TEST) + " must be auto, on or off, got '" + model.flipTest() + "'");
    }
    try {
      model.parsedPrecision();
    } catch (IllegalArgumentException e) {
      p.add(name.apply(PRECISION) + " must be fp32, fp16 or bf16, got '" + model.precision() + "'");
    }
    return p;
  }

  private static void threads(List<String> p, String name, int n) {
    if (n < 0) {
      p.add(name + " must be 0 (auto) or positive, got " + n);
    }
  }

  private static void limit(List<String> p, String name, long v, long max, String why) {
    if (v < 1 || v > max) {
      p.add(name + " must be in [1, " + max + "]" + why + ", got " + v);
    }
  }

  private static void probability(List<String> p, String name, Float v) {
    if (v != null && !(v >= 0f && v <= 1f)) {
      p.add(name + " must be in [0,1], got " + v);
    }
  }
}
