package io.sparkseg.core.pipeline;

import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.model.ImageBatch;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.PredictOptions;
import io.sparkseg.core.model.RawDetections;
import io.sparkseg.core.model.ResizedImage;
import io.sparkseg.core.result.ImageResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One model, many callers: images submitted from any number of threads (e.g. all Spark tasks of
 * an executor) are formed into batches of at most {@code maxBatch}, waiting at most
 * {@code maxWait} for a batch to fill (only images that pad to the same canvas share a batch, so
 * results never depend on batch partners), and run by the batcher's inference thread(s) (one by
 * default: one forward pass at a time, as a GPU wants), so the model never idles while work is
 * queued ({@link CanvasBatchQueue} forms the batches). Mask pasting and RLE run on separate
 * post-processing threads behind it. Memory is bounded: {@link #submit} blocks while
 * {@code queueCapacity} images are queued, and at most as many again wait aside for their canvas.
 *
 * <p>Every future completes, whatever fails. A batch that fails is run again image by image, each
 * as a batch of one on the inference threads (so retries keep the one-forward-pass-per-thread
 * limit); an image that then fails alone completes with an {@link ImageInferenceException}. A
 * {@link ResourceFailure} is not retried: its images complete with it. An inference thread that
 * met an {@link Error} ends and a fresh one takes its place.
 */
public final class InferenceBatcher implements AutoCloseable {
  /** One image's result, with its share of its batch's forward time and the size of that batch. */
  public record Output(ImageResult result, double inferenceMs, int batchSize) {}

  /** How a batch runs on the model: {@link MaskRcnnModel#infer(ImageBatch, float)}, or a wrapper of it. */
  @FunctionalInterface
  public interface Forward {
    RawDetections infer(ImageBatch batch, float minScore);
  }

  /** {@code canvas}: see {@link #canvas}; images share a batch only when it is equal. */
  private record Job(ResizedImage image, long canvas, PredictOptions options, CompletableFuture<Output> result,
      long enqueuedNanos) {}

  private static final Duration IDLE = Duration.ofMillis(100);

  private final MaskRcnnModel model;
  private final Forward forward;
  private final BatchListener listener;
  private final CanvasBatchQueue<Job> jobs;
  // the live inference threads; a thread that ends for a failure puts its successor here in the same step
  private final List<Thread> inferenceThreads = new ArrayList<>();
  private final ExecutorService postprocess;
  private volatile boolean closed;

  /**
   * {@code inferenceThreads} threads take batches from the one queue (1 for a GPU; on a CPU,
   * several threads with fewer libtorch threads each can use the cores better than one), reporting
   * every batch and post-processing step to {@code listener} (e.g. a metrics source).
   */
  public InferenceBatcher(MaskRcnnModel model, int maxBatch, Duration maxWait, int queueCapacity, int postprocessThreads,
      int inferenceThreads, BatchListener listener) {
    this(model, model == null ? null : model::infer, maxBatch, maxWait, queueCapacity, postprocessThreads,
        inferenceThreads, listener);
  }

  /** As above, running forward passes through {@code forward} (e.g. a wrapper that injects a fault). */
  public InferenceBatcher(MaskRcnnModel model, Forward forward, int maxBatch, Duration maxWait, int queueCapacity,
      int postprocessThreads, int inferenceThreads, BatchListener listener) {
    if (inferenceThreads < 1) {
      throw new IllegalArgumentException("need at least one inference thread, got " + inferenceThreads);
    }
    if (maxBatch < 1 || queueCapacity < maxBatch || postprocessThreads < 1) {
      throw new IllegalArgumentException("need maxBatch >= 1, queueCapacity >= maxBatch and postprocessThreads >= 1, got "
          + maxBatch + ", " + queueCapacity + ", " + postprocessThreads);
    }
    this.model = model;
    this.forward = forward;
    this.listener = listener;
    this.jobs = new CanvasBatchQueue<>(maxBatch, maxWait, queueCapacity, Job::canvas);
    this.postprocess = Executors.newFixedThreadPool(postprocessThreads, r -> {
      Thread t = new Thread(r, "sparkseg-postprocess");
      t.setDaemon(true);
      return t;
    });
    synchronized (this.inferenceThreads) {
      for (int i = 0; i < inferenceThreads; i++) {
        startInferenceThread("sparkseg-inference-" + (i + 1));
      }
    }
  }

  /** Queues one image; blocks while the queue is full. The future completes after post-processing. */
  public CompletableFuture<Output> submit(RgbImage image, PredictOptions options) throws InterruptedException {
    return submit(ResizedImage.of(image, model.bundle().resize()), options);
  }

  /**
   * Queues one image that the caller already resized by the model's rule (so the resize ran on
   * the caller's thread, not the inference thread); blocks while the queue is full. A caller that
   * no longer wants the result cancels the future: the image is then skipped if it has not run.
   */
  public CompletableFuture<Output> submit(ResizedImage image, PredictOptions options) throws InterruptedException {
    if (closed) {
      throw new IllegalStateException("batcher is closed");
    }
    CompletableFuture<Output> f = new CompletableFuture<>();
    jobs.put(new Job(image, canvas(image), options, f, System.nanoTime()));
    return f;
  }

  /** The inference threads running now: the configured number, whatever failed, until closed. */
  public int inferenceThreads() {
    synchronized (inferenceThreads) {
      return inferenceThreads.size();
    }
  }

  /**
   * Only images with the same canvas share a batch, so an image's detections never depend on
   * which other images it was batched with, and re-runs give the same results whatever the timing.
   */
  private long canvas(ResizedImage image) {
    return image.canvas(model.bundle().sizeDivisibility());
  }

  /** Call holding the inference threads' lock. */
  private void startInferenceThread(String name) {
    Thread t = new Thread(this::loop, name);
    t.setDaemon(true);
    inferenceThreads.add(t);
    t.start();
  }

  private void loop() {
    boolean replace = false;
    try {
      while (!(closed && jobs.isEmpty())) {
        List<Job> batch = jobs.next(IDLE);
        if (!batch.isEmpty() && !run(batch)) {
          replace = true;
          return;
        }
      }
    } catch (Throwable e) {
      // nobody but close() should stop this thread: one that was interrupted or broke gets a successor
      replace = true;
    } finally {
      synchronized (inferenceThreads) {
        inferenceThreads.remove(Thread.currentThread());
        if (replace && !closed) {
          startInferenceThread(Thread.currentThread().getName());
        }
      }
      if (closed) {
        failLeftovers();
      }
    }
  }

  private void failLeftovers() {
    for (Job j : jobs.drainAll()) {
      j.result().completeExceptionally(new IllegalStateException("batcher closed before this image ran"));
    }
  }

  /** Runs one batch; false when it met an Error, after which this thread should not go on. */
  private boolean run(List<Job> taken) {
    // images whose callers gave up (cancelled futures) are not run
    List<Job> batch = taken.stream().filter(j -> !j.result().isDone()).toList();
    if (batch.isEmpty()) {
      return true;
    }
    long start = System.nanoTime();
    long batchWait = batch.stream().mapToLong(j -> start - j.enqueuedNanos()).sum();
    List<ResizedImage> imgs = new ArrayList<>(batch.size());
    batch.forEach(j -> imgs.add(j.image()));
    RawDetections raw;
    try {
      // the heads need not run on detections that no caller in the batch keeps
      float minScore = (float) batch.stream().mapToDouble(j -> j.options().scoreThreshold()).min().orElse(0);
      raw = forward.infer(ImageBatch.ofResized(imgs), minScore);
    } catch (Throwable e) {
      failed(batch, e);
      return !(e instanceof Error);
    }
    long forwardNanos = System.nanoTime() - start;
    notify(() -> listener.onBatch(batch.size(), forwardNanos, batchWait, jobs.queued()));
    double msPerImage = forwardNanos / 1e6 / batch.size();
    try {
      postprocess.execute(() -> decode(batch, raw, msPerImage));
    } catch (RejectedExecutionException e) {
      failed(batch, new IllegalStateException("batcher closed while this image ran", e));
    }
    return true;
  }

  private void decode(List<Job> batch, RawDetections raw, double msPerImage) {
    long t0 = System.nanoTime();
    int instances = 0;
    try {
      // options may differ per caller; decode once per distinct options object
      List<ImageResult> decoded = null;
      PredictOptions decodedWith = null;
      for (int i = 0; i < batch.size(); i++) {
        Job j = batch.get(i);
        if (decoded == null || !j.options().equals(decodedWith)) {
          decoded = model.decoder().decode(raw, j.options());
          decodedWith = j.options();
        }
        instances += decoded.get(i).instances().size();
        j.result().complete(new Output(decoded.get(i), msPerImage, batch.size()));
      }
      long took = System.nanoTime() - t0;
      int found = instances;
      notify(() -> listener.onPostprocess(found, took));
    } catch (Throwable e) {
      failed(batch.stream().filter(j -> !j.result().isDone()).toList(), e);
    }
  }

  /**
   * A resource failure fails its images; any other failure of a batch of several images sends
   * each back to run alone, and an image that failed alone failed for itself.
   */
  private void failed(List<Job> batch, Throwable e) {
    if (ResourceFailure.is(e)) {
      batch.forEach(j -> j.result().completeExceptionally(e));
    } else if (batch.size() == 1) {
      batch.get(0).result().completeExceptionally(new ImageInferenceException(e));
    } else {
      batch.forEach(jobs::retryAlone);
      if (closed && inferenceThreads() == 0) {
        failLeftovers(); // nobody is left to run the retries
      }
    }
  }

  private static void notify(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException ignored) {
      // a broken metrics listener must not fail inference
    }
  }

  /** Runs what is queued, then stops the threads. The model stays open (its owner closes it). */
  @Override
  public void close() {
    closed = true;
    try {
      while (true) {
        Thread t;
        synchronized (inferenceThreads) {
          if (inferenceThreads.isEmpty()) {
            break;
          }
          t = inferenceThreads.get(0);
        }
        t.join();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    postprocess.shutdown();
    try {
      postprocess.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
