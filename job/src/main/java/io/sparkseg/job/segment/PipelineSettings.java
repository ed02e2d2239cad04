package io.sparkseg.job.segment;

import java.io.Serializable;
import org.apache.spark.SparkEnv;

/**
 * How an executor keeps its model busy: at most {@code maxBatch} images per forward pass, waiting
 * at most {@code maxBatchWaitMs} for a batch to fill; each task keeps {@code prefetch} images read
 * and decoded ahead (memory is bounded by tasks x prefetch images); {@code prepareThreads} read and
 * decode, {@code postprocessThreads} paste masks and encode RLE; {@code inferenceThreads} run
 * forward passes (1 = one at a time, right for a GPU). Prepare/postprocess counts of 0 mean "as
 * many as the executor has cores".
 */
public record PipelineSettings(int maxBatch, long maxBatchWaitMs, int prefetch, int prepareThreads,
    int postprocessThreads, int inferenceThreads) implements Serializable {

  public PipelineSettings {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + maxBatch);
    }
    if (maxBatchWaitMs < 0 || prefetch < 1 || prepareThreads < 0 || postprocessThreads < 0 || inferenceThreads < 1) {
      throw new IllegalArgumentException("need max batch wait >= 0, prefetch >= 1, thread counts >= 0 and at least "
          + "one inference thread, got " + maxBatchWaitMs + ", " + prefetch + ", " + prepareThreads + ", "
          + postprocessThreads + ", " + inferenceThreads);
    }
  }

  /** Images each task keeps ahead of the model by default (as {@code segment.prefetch} in the defaults file). */
  public static final int DEFAULT_PREFETCH = 8;

  /**
   * The defaults for a batch size, as {@code segment} uses them: a 50 ms wait, {@link #DEFAULT_PREFETCH}
   * images ahead (at least two batches), threads per core.
   */
  public static PipelineSettings forBatch(int maxBatch) {
    return forBatch(maxBatch, 1);
  }

  /** As {@link #forBatch(int)} with {@code inferenceThreads} threads running forward passes. */
  public static PipelineSettings forBatch(int maxBatch, int inferenceThreads) {
    return new PipelineSettings(maxBatch, 50, Math.max(DEFAULT_PREFETCH, 2 * maxBatch), 0, 0, inferenceThreads);
  }

  /** These settings with the 0 ("auto") thread counts replaced by this executor's core count. */
  public PipelineSettings resolved() {
    int cores = executorCores();
    return new PipelineSettings(maxBatch, maxBatchWaitMs, prefetch,
        prepareThreads > 0 ? prepareThreads : cores,
        postprocessThreads > 0 ? postprocessThreads : Math.max(1, cores / 2), inferenceThreads);
  }

  private static int executorCores() {
    int fallback = Runtime.getRuntime().availableProcessors();
    SparkEnv env = SparkEnv.get();
    return env == null ? fallback : Math.max(1, env.conf().getInt("spark.executor.cores", fallback));
  }
}
