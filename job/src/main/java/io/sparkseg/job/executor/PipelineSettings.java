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
 * thread per core with one libtorch thread each (more images/s than one pass over all
 * cores: README "Figures"), on a GPU one inference thread (one forward pass at a time) and
 * libtorch's own thread count. Defaults and checks: {@link io.sparkseg.job.config.SegmentKeys},
 * {@link io.sparkseg.job.config.SegmentConfig#validate()}.
 */
public record PipelineSettings(int maxBatch, long maxBatchWaitMs, int prefetch, int prepareThreads,
    int postprocessThreads, int inferenceThreads, int torchThreads) implements Serializable {

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
