package io.sparkseg.job.executor;

import java.io.Serializable;
import org.apache.spark.SparkEnv;

/**
 * How an executor keeps its model busy: at most {@code maxBatch} images per forward pass, waiting
 * at most {@code maxBatchWaitMs} for a batch to fill; each task keeps {@code prefetch} images read
 * and decoded ahead (memory is bounded by tasks x prefetch images); {@code prepareThreads} read and
 * decode, {@code postprocessThreads} paste masks and encode RLE; {@code inferenceThreads} run
 * forward passes, each spread over {@code torchThreads} libtorch threads. 0 means "auto" for every
 * thread count: prepare = the executor's cores, postprocess = half of them; on a CPU one inference
 * thread per core with one libtorch thread each (measured 1.7x the images/s of one pass over both
 * cores: README "Figures"), on a GPU one inference thread (one forward pass at a time) and
 * libtorch's own thread count.
 */
public record PipelineSettings(int maxBatch, long maxBatchWaitMs, int prefetch, int prepareThreads,
    int postprocessThreads, int inferenceThreads, int torchThreads) implements Serializable {

  public PipelineSettings {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + maxBatch);
    }
    if (maxBatchWaitMs < 0 || prefetch < 1 || prepareThreads < 0 || postprocessThreads < 0 || inferenceThreads < 0
        || torchThreads < 0) {
      throw new IllegalArgumentException("need max batch wait >= 0, prefetch >= 1 and thread counts >= 0 (0 = auto), got "
          + maxBatchWaitMs + ", " + prefetch + ", " + prepareThreads + ", " + postprocessThreads + ", "
          + inferenceThreads + ", " + torchThreads);
    }
  }

  /** Images each task keeps ahead of the model by default (as {@code segment.prefetch} in the defaults file). */
  public static final int DEFAULT_PREFETCH = 8;

  /**
   * The defaults for a batch size, as {@code segment} uses them: a 50 ms wait, {@link #DEFAULT_PREFETCH}
   * images ahead (at least two batches), every thread count auto.
   */
  public static PipelineSettings forBatch(int maxBatch) {
    return forBatch(maxBatch, 0, 0);
  }

  /** As {@link #forBatch(int)} with these inference and libtorch thread counts (0 = auto). */
  public static PipelineSettings forBatch(int maxBatch, int inferenceThreads, int torchThreads) {
    return new PipelineSettings(maxBatch, 50, Math.max(DEFAULT_PREFETCH, 2 * maxBatch), 0, 0, inferenceThreads,
        torchThreads);
  }

  /**
   * These settings with every 0 ("auto") thread count replaced for an executor with {@code cores}
   * cores running the model on a GPU or not. A libtorch count that stays 0 means "leave libtorch's
   * own", which is also what an explicit {@code -Dai.djl.pytorch.num_threads} gets.
   */
  public PipelineSettings resolved(int cores, boolean gpu, boolean libtorchThreadsSetByUser) {
    int inference = inferenceThreads > 0 ? inferenceThreads : gpu ? 1 : cores;
    int torch = torchThreads > 0 ? torchThreads
        : gpu || libtorchThreadsSetByUser ? 0 : Math.max(1, cores / inference);
    return new PipelineSettings(maxBatch, maxBatchWaitMs, prefetch,
        prepareThreads > 0 ? prepareThreads : cores,
        postprocessThreads > 0 ? postprocessThreads : Math.max(1, cores / 2), inference, torch);
  }

  /** The cores of this executor: {@code spark.executor.cores}, else the JVM's available processors. */
  public static int executorCores() {
    int fallback = Runtime.getRuntime().availableProcessors();
    SparkEnv env = SparkEnv.get();
    return env == null ? fallback : Math.max(1, env.conf().getInt("spark.executor.cores", fallback));
  }
}
