package io.sparkseg.job.executor;

import io.sparkseg.core.image.DecodeResult;
import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.PredictOptions;
import io.sparkseg.core.model.ResizedImage;
import io.sparkseg.core.pipeline.ImageInferenceException;
import io.sparkseg.core.pipeline.InferenceBatcher;
import io.sparkseg.core.pipeline.ResourceFailure;
import io.sparkseg.core.result.ImageResult;
import io.sparkseg.core.result.ImageStatus;
import io.sparkseg.job.fs.FileIdentity;
import io.sparkseg.job.metrics.ExecutorMetrics;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.spark.TaskContext;

/**
 * One task's view of its executor's {@link ExecutorPipeline}: takes input items (rows), keeps
 * {@code prefetch} of them in flight — read, decoded and resized on the prepare threads, run through the
 * shared batcher, post-processed behind it — and hands back one {@link Segmented} per item, in
 * input order. An item in flight holds its resized image only, never the decoded original. The task thread only feeds and drains the window, so what it does with the results
 * (building rows, writing Parquet) overlaps inference, and memory is bounded by the window.
 * Nothing here throws for a bad image: every failure of an image becomes the item's
 * {@link ImageOutcome} (one that fails the model even alone is {@code inference_error}). Failures
 * that are not an image's — a {@link ResourceFailure} such as an OutOfMemoryError in reading,
 * decoding or inference, a closed pipeline — fail the task instead (an {@link IllegalStateException}), so Spark runs it again.
 * Every wait gives way to an interrupt or a Spark task kill: the window then drops its in-flight
 * work and throws (a {@link CancellationException}, the interrupt flag kept).
 *
 * @param <T> the input item, e.g. a Spark row
 */
public final class SegmentingWindow<T> implements Iterator<SegmentingWindow.Segmented<T>>, AutoCloseable {
  /** An input item, what happened to its image, and the time spent reading and decoding it. */
  public record Segmented<T>(T item, ImageOutcome outcome, long readNanos, long decodeNanos) {}

  private record Prepared<T>(T item, ResizedImage image, ImageOutcome failure, long readNanos, long decodeNanos,
      FileIdentity file) {}

  /** One item in flight: its result, and its image's place in the batcher once submitted (to cancel it). */
  private static final class Slot<T> {
    private CompletableFuture<Segmented<T>> result;
    private volatile CompletableFuture<InferenceBatcher.Output> submitted;
  }

  /** How often a wait looks whether Spark killed the task without interrupting its thread. */
  private static final long KILL_CHECK_MS = 200;

  private final Iterator<T> input;
  private final Function<T, ImageBytes.Read> reader;
  private final MaskRcnnModel model;
  private final ExecutorPipeline pipeline;
  private final PredictOptions options;
  private final ImageDecoder decoder;
  private final int prefetch;
  private final ArrayDeque<Slot<T>> inFlight = new ArrayDeque<>();
  private volatile boolean closed;

  /**
   * @param reader gets an item's image bytes (or a read failure); runs on the prepare threads
   */
  public SegmentingWindow(Iterator<T> input, Function<T, ImageBytes.Read> reader, MaskRcnnModel model,
      ExecutorPipeline pipeline, PredictOptions options, long maxImagePixels, int prefetch) {
    this.input = input;
    this.reader = reader;
    this.model = model;
    this.pipeline = pipeline;
    this.options = options;
    this.decoder = new ImageDecoder(maxImagePixels);
    this.prefetch = prefetch;
  }

  /** {@code score}/{@code mask} thresholds, or the bundle's defaults where null. */
  public static PredictOptions options(MaskRcnnModel model, Float score, Float mask) {
    PredictOptions d = model.bundle().defaultOptions();
    return new PredictOptions(score == null ? d.scoreThreshold() : score, mask == null ? d.maskThreshold() : mask);
  }

  /** This window's results, each converted by {@code f} on the consuming (task) thread. */
  public <R> Iterator<R> map(Function<Segmented<T>, R> f) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return SegmentingWindow.this.hasNext();
      }

      @Override
      public R next() {
        return f.apply(SegmentingWindow.this.next());
      }
    };
  }

  @Override
  public boolean hasNext() {
    fill();
    return !inFlight.isEmpty();
  }

  @Override
  public Segmented<T> next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Segmented<T> s = await(inFlight.poll().result);
    fill();
    return s;
  }

  /**
   * Drops the work in flight: images not yet read are not read, images not yet run are not run,
   * and no more input is taken. For a task that ends early, is killed or failed.
   */
  @Override
  public void close() {
    closed = true;
    for (Slot<T> s : inFlight) {
      s.result.cancel(false);
      CompletableFuture<InferenceBatcher.Output> b = s.submitted;
      if (b != null) {
        b.cancel(false);
      }
    }
    inFlight.clear();
  }

  private Segmented<T> await(CompletableFuture<Segmented<T>> f) {
    try {
      while (true) {
        try {
          return f.get(KILL_CHECK_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          TaskContext task = TaskContext.get();
          if (task != null && task.isInterrupted()) {
            close();
            task.killTaskIfInterrupted();
          }
        }
      }
    } catch (InterruptedException e) {
      close();
      Thread.currentThread().interrupt();
      CancellationException c = new CancellationException("sparkseg: the task was interrupted; its images in flight "
          + "were dropped");
      c.initCause(e);
      throw c;
    } catch (ExecutionException e) {
      close();
      Throwable cause = e.getCause();
      // image failures became outcomes upstream: this is the machine's or the pipeline's, so the task fails
      throw new IllegalStateException("sparkseg: inference failed for a reason that is not an image's ("
          + (ResourceFailure.is(cause) ? "out of resources" : "pipeline failure") + "), failing the task so that "
          + "Spark runs it again: " + cause, cause);
    }
  }

  private void fill() {
    while (!closed && inFlight.size() < prefetch && input.hasNext()) {
      T item = input.next();
      Slot<T> slot = new Slot<>();
      // submitting may block on a full batcher queue: never on the task thread
      slot.result = CompletableFuture.supplyAsync(() -> prepare(item), pipeline.prepare())
          .thenComposeAsync(p -> infer(p, slot), pipeline.prepare());
      inFlight.add(slot);
    }
  }

  private Prepared<T> prepare(T item) {
    if (closed) {
      throw new CancellationException("window closed");
    }
    long t0 = System.nanoTime();
    ImageBytes.Read read;
    try {
      read = reader.apply(item);
    } catch (RuntimeException e) {
      read = ImageBytes.Read.failed(ImageStatus.READ_ERROR, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    long t1 = System.nanoTime();
    if (!read.ok()) {
      ExecutorMetrics.prepared(t1 - t0);
      return new Prepared<>(item, null, ImageOutcome.failed(read.status(), read.error(), null, null), t1 - t0, 0,
          read.file());
    }
    // an Error (OutOfMemoryError) decoding is the machine's, not the image's: it fails this item's
    // future, so the task fails and Spark runs it again (see await)
    DecodeResult d = decoder.decode(read.bytes());
    if (!d.isOk()) {
      long t2 = System.nanoTime();
      ExecutorMetrics.prepared(t2 - t0);
      return new Prepared<>(item, null, ImageOutcome.failed(d.status(), d.message(), positive(d.width()),
          positive(d.height())), t1 - t0, t2 - t1, read.file());
    }
    // resizing here keeps it off the inference thread (it is part of the decode time); what waits
    // for the model is the resized image alone: the decoded original and the file's bytes are
    // garbage once this returns
    ResizedImage resized = ResizedImage.of(d.image(), model.bundle().resize());
    long t2 = System.nanoTime();
    ExecutorMetrics.prepared(t2 - t0);
    return new Prepared<>(item, resized, null, t1 - t0, t2 - t1, read.file());
  }

  private CompletableFuture<Segmented<T>> infer(Prepared<T> p, Slot<T> slot) {
    if (p.failure() != null) {
      return CompletableFuture.completedFuture(finish(p, p.failure()));
    }
    CompletableFuture<InferenceBatcher.Output> out;
    try {
      out = pipeline.batcher().submit(p.image(), options);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableFuture.failedFuture(e);
    }
    slot.submitted = out;
    if (closed) {
      out.cancel(false);
    }
    // the batcher already ran a failed batch's images again alone: what fails now is this image's, or no image's
    return out.handle((o, failure) -> {
      if (failure == null) {
        return finish(p, ok(p.image(), o.result(), o.inferenceMs()));
      }
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null
          ? failure.getCause() : failure;
      if (cause instanceof ImageInferenceException) {
        return finish(p, ImageOutcome.failed(ImageStatus.INFERENCE_ERROR, cause.getMessage(),
            p.image().originalWidth(), p.image().originalHeight()));
      }
      throw failure instanceof CompletionException ce ? ce : new CompletionException(cause);
    });
  }

  private Segmented<T> finish(Prepared<T> p, ImageOutcome o) {
    ExecutorMetrics.finished(o.ok());
    return new Segmented<>(p.item(), o.withFile(p.file()), p.readNanos(), p.decodeNanos());
  }

  private static ImageOutcome ok(ResizedImage img, ImageResult r, double ms) {
    return new ImageOutcome(ImageStatus.OK, null, img.originalWidth(), img.originalHeight(), ms, r.instances());
  }

  private static Integer positive(int v) {
    return v > 0 ? v : null;
  }
}
