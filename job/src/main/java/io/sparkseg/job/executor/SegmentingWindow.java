package io.sparkseg.job.executor;

import io.sparkseg.core.image.DecodeResult;
import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.PredictOptions;
import io.sparkseg.core.model.ResizedImage;
import io.sparkseg.core.pipeline.InferenceBatcher;
import io.sparkseg.core.result.ImageResult;
import io.sparkseg.core.result.ImageStatus;
import io.sparkseg.job.fs.FileIdentity;
import io.sparkseg.job.metrics.ExecutorMetrics;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * One task's view of its executor's {@link ExecutorPipeline}: takes input items (rows), keeps
 * {@code prefetch} of them in flight — read, decoded and resized on the prepare threads, run through the
 * shared batcher, post-processed behind it — and hands back one {@link Segmented} per item, in
 * input order. The task thread only feeds and drains the window, so what it does with the results
 * (building rows, writing Parquet) overlaps inference, and memory is bounded by the window.
 * Nothing here throws for a bad image: every failure becomes the item's {@link ImageOutcome}.
 *
 * @param <T> the input item, e.g. a Spark row
 */
public final class SegmentingWindow<T> implements Iterator<SegmentingWindow.Segmented<T>> {
  /** An input item, what happened to its image, and the time spent reading and decoding it. */
  public record Segmented<T>(T item, ImageOutcome outcome, long readNanos, long decodeNanos) {}

  private record Prepared<T>(T item, ResizedImage image, ImageOutcome failure, long readNanos, long decodeNanos,
      FileIdentity file) {}

  private final Iterator<T> input;
  private final Function<T, ImageBytes.Read> reader;
  private final MaskRcnnModel model;
  private final ExecutorPipeline pipeline;
  private final PredictOptions options;
  private final ImageDecoder decoder;
  private final int prefetch;
  private final ArrayDeque<CompletableFuture<Segmented<T>>> inFlight = new ArrayDeque<>();

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
    Segmented<T> s;
    try {
      s = inFlight.poll().join();
    } catch (CompletionException e) {
      // every stage turns failures into outcomes; reaching here is a bug, so fail the task loudly
      throw new IllegalStateException("sparkseg pipeline failed: " + e.getCause(), e.getCause());
    }
    fill();
    return s;
  }

  private void fill() {
    while (inFlight.size() < prefetch && input.hasNext()) {
      T item = input.next();
      inFlight.add(CompletableFuture.supplyAsync(() -> prepare(item), pipeline.prepare()).thenCompose(this::infer));
    }
  }

  private Prepared<T> prepare(T item) {
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
    DecodeResult d = decoder.decode(read.bytes());
    if (!d.isOk()) {
      long t2 = System.nanoTime();
      ExecutorMetrics.prepared(t2 - t0);
      return new Prepared<>(item, null, ImageOutcome.failed(d.status(), d.message(), positive(d.width()),
          positive(d.height())), t1 - t0, t2 - t1, read.file());
    }
    // resizing here keeps it off the inference thread (it is part of the decode time)
    ResizedImage resized = ResizedImage.of(d.image(), model.bundle().resize());
    long t2 = System.nanoTime();
    ExecutorMetrics.prepared(t2 - t0);
    return new Prepared<>(item, resized, null, t1 - t0, t2 - t1, read.file());
  }

  private CompletableFuture<Segmented<T>> infer(Prepared<T> p) {
    if (p.failure() != null) {
      return CompletableFuture.completedFuture(finish(p, p.failure()));
    }
    CompletableFuture<InferenceBatcher.Output> out;
    try {
      out = pipeline.batcher().submit(p.image(), options);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out = CompletableFuture.failedFuture(e);
    } catch (RuntimeException e) {
      out = CompletableFuture.failedFuture(e);
    }
    return out.thenApply(o -> finish(p, ok(p.image().original(), o.result(), o.inferenceMs())))
        // a failed batch is retried for this image alone, so one poisonous image costs only its own outcome
        .exceptionallyAsync(batchFailure -> finish(p, alone(p)), pipeline.prepare());
  }

  private ImageOutcome alone(Prepared<T> p) {
    try {
      long t0 = System.nanoTime();
      ImageResult r = model.predict(List.of(p.image().original()), options).get(0);
      return ok(p.image().original(), r, (System.nanoTime() - t0) / 1e6);
    } catch (RuntimeException e) {
      return new ImageOutcome(ImageStatus.INFERENCE_ERROR, e.getClass().getSimpleName() + ": " + e.getMessage(),
          p.image().original().width(), p.image().original().height(), null, List.of());
    }
  }

  private Segmented<T> finish(Prepared<T> p, ImageOutcome o) {
    ExecutorMetrics.finished(o.ok());
    return new Segmented<>(p.item(), o.withFile(p.file()), p.readNanos(), p.decodeNanos());
  }

  private static ImageOutcome ok(RgbImage img, ImageResult r, double ms) {
    return new ImageOutcome(ImageStatus.OK, null, img.width(), img.height(), ms, r.instances());
  }

  private static Integer positive(int v) {
    return v > 0 ? v : null;
  }
}
