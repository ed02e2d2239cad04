package io.sparkseg.job.executor;

import io.sparkseg.core.model.LibtorchThreads;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.pipeline.BatchListener;
import io.sparkseg.core.pipeline.InferenceBatcher;
import io.sparkseg.job.metrics.ExecutorMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executor-wide machinery around one shared model: a pool of "prepare" threads that read and
 * decode images ahead of inference, and one {@link InferenceBatcher} that forms batches across
 * all the executor's concurrent tasks and post-processes behind the model. Created once per JVM per
 * (model, batch settings) and kept for the JVM's life, like the model itself: Spark reuses
 * executors across tasks and stages, and the threads are daemons.
 */
public final class ExecutorPipeline {
  private static final Map<String, ExecutorPipeline> PIPELINES = new ConcurrentHashMap<>();

  private final PipelineSettings settings;
  private final InferenceBatcher batcher;
  private final ExecutorService prepare;

  private ExecutorPipeline(MaskRcnnModel model, InferenceBatcher.Forward forward, PipelineSettings s,
      BatchListener listener) {
    // queue room for two full batches per concurrent caller keeps the model fed without unbounded memory
    this.settings = s;
    int queueCapacity = Math.max(2 * s.maxBatch(), s.maxBatch() + s.prefetch());
    this.batcher = new InferenceBatcher(model, forward, s.maxBatch(), Duration.ofMillis(s.maxBatchWaitMs()),
        queueCapacity, s.postprocessThreads(), s.inferenceThreads(), listener);
    this.prepare = daemonPool("sparkseg-prepare", s.prepareThreads());
  }

  /**
   * The pipeline for {@code model} with these settings, creating it on first use in this JVM (and
   * setting libtorch's intra-op threads, process-wide, before its inference threads start).
   */
  public static ExecutorPipeline get(String modelKey, MaskRcnnModel model, PipelineSettings settings) {
    PipelineSettings s = settings.resolved(PipelineSettings.executorCores(), model.device().isGpu(),
        LibtorchThreads.setByUser());
    return PIPELINES.computeIfAbsent(modelKey + "|" + s, k -> {
      if (s.torchThreads() > 0) {
        LibtorchThreads.set(s.torchThreads());
      }
      return new ExecutorPipeline(model, model::infer, s, ExecutorMetrics.listener());
    });
  }

  /**
   * A pipeline of its own, not shared, whose forward passes go through {@code forward} (fault
   * tests wrap the real model's call); {@code settings} must have every thread count set.
   */
  static ExecutorPipeline unshared(MaskRcnnModel model, InferenceBatcher.Forward forward, PipelineSettings settings) {
    return new ExecutorPipeline(model, forward, settings, BatchListener.NONE);
  }

  /** Stops an {@link #unshared} pipeline's threads (shared ones live as long as the JVM). */
  void close() {
    batcher.close();
    prepare.shutdownNow();
  }

  /** The settings of this JVM's pipelines, every "auto" resolved (what the executor actually runs). */
  public static List<PipelineSettings> inUse() {
    return PIPELINES.values().stream().map(p -> p.settings).toList();
  }

  /** The shared batcher in front of the model. */
  public InferenceBatcher batcher() {
    return batcher;
  }

  /** Threads that read and decode images ahead of the model. */
  public ExecutorService prepare() {
    return prepare;
  }

  private static ExecutorService daemonPool(String name, int threads) {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }
}
