package io.sparkseg.job.segment;

import io.sparkseg.core.image.DecodeResult;
import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.PredictOptions;
import io.sparkseg.core.pipeline.InferenceBatcher;
import io.sparkseg.core.result.ImageResult;
import io.sparkseg.job.metrics.ExecutorMetrics;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

/**
 * The per-partition work of a run: takes {@code (image_id, path)} rows and emits one
 * {@link io.sparkseg.job.output.Schemas#IMAGE_RESULT} row per input row, in input order.
 *
 * <p>The task thread only feeds and drains a window of {@code prefetch} images: each image is read
 * (Hadoop FileSystem API) and decoded on the executor's prepare threads, queued to the executor's
 * shared {@link InferenceBatcher} (which batches across all tasks of the JVM in front of the one
 * model), and post-processed behind it. So reading, decoding, pasting and the Parquet writing that
 * consumes these rows overlap the forward passes, and memory stays bounded by the window.
 */
public final class PartitionSegmenter implements FlatMapFunction<Iterator<Row>, Row> {
  private static final long serialVersionUID = 1L;
  private final SegmentSettings settings;
  private final RunMetrics metrics;

  public PartitionSegmenter(SegmentSettings settings, RunMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    if (!input.hasNext()) {
      return input;
    }
    Configuration conf = settings.hadoopConf().get();
    String device = Devices.forTask(settings.device());
    ModelHolder.Lease lease = ModelHolder.get(
        settings.bundleUri(), device, conf, Path.of(settings.modelCacheDir()));
    if (lease.loadedNow() && metrics != null) {
      metrics.modelLoads.add(1);
      metrics.modelLoadMs.add(lease.loadMs());
    }
    ExecutorPipeline pipeline = ExecutorPipeline.get(settings.bundleUri() + "|" + device, lease.model(),
        settings.pipeline());
    return new Window(input, lease.model(), pipeline, conf);
  }

  /** What the pipeline produced for one image, with the timings the task thread accounts for. */
  private record Done(Row row, boolean ok, int instances, long readNanos, long decodeNanos, double inferenceMs) {}

  /** The image bytes and decode outcome of one input row (prepare-thread work). */
  private record Prepared(long id, String path, RgbImage image, ImageSegmenter.Outcome failure, long readNanos,
      long decodeNanos) {}

  private final class Window implements Iterator<Row> {
    private final Iterator<Row> input;
    private final MaskRcnnModel model;
    private final ExecutorPipeline pipeline;
    private final Configuration conf;
    private final ImageDecoder decoder;
    private final PredictOptions options;
    private final ArrayDeque<CompletableFuture<Done>> inFlight = new ArrayDeque<>();

    Window(Iterator<Row> input, MaskRcnnModel model, ExecutorPipeline pipeline, Configuration conf) {
      this.input = input;
      this.model = model;
      this.pipeline = pipeline;
      this.conf = conf;
      this.decoder = new ImageDecoder(settings.maxImagePixels());
      PredictOptions d = model.bundle().defaultOptions();
      this.options = new PredictOptions(
          settings.scoreThreshold() == null ? d.scoreThreshold() : settings.scoreThreshold(),
          settings.maskThreshold() == null ? d.maskThreshold() : settings.maskThreshold());
    }

    @Override
    public boolean hasNext() {
      fill();
      return !inFlight.isEmpty();
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Done d;
      try {
        d = inFlight.poll().join();
      } catch (CompletionException e) {
        // every stage turns failures into status rows; reaching here is a bug, so fail the task loudly
        throw new IllegalStateException("sparkseg pipeline failed: " + e.getCause(), e.getCause());
      }
      fill();
      account(d);
      return d.row();
    }

    /** Keeps {@code prefetch} images in flight, in input order. */
    private void fill() {
      while (inFlight.size() < settings.pipeline().prefetch() && input.hasNext()) {
        Row r = input.next();
        long id = r.getLong(0);
        String path = r.getString(1);
        inFlight.add(CompletableFuture.supplyAsync(() -> prepare(id, path), pipeline.prepare())
            .thenCompose(this::infer));
      }
    }

    private Prepared prepare(long id, String path) {
      long t0 = System.nanoTime();
      ImageBytes.Read read = ImageBytes.read(path, conf);
      long t1 = System.nanoTime();
      if (!read.ok()) {
        ExecutorMetrics.prepared(t1 - t0);
        return new Prepared(id, path, null, new ImageSegmenter.Outcome(read.status(), read.error(), null, null, null,
            List.of(), 0), t1 - t0, 0);
      }
      DecodeResult d = decoder.decode(read.bytes());
      long t2 = System.nanoTime();
      ExecutorMetrics.prepared(t2 - t0);
      if (!d.isOk()) {
        return new Prepared(id, path, null, new ImageSegmenter.Outcome(d.status().code(), d.message(),
            positive(d.width()), positive(d.height()), null, List.of(), t2 - t1), t1 - t0, t2 - t1);
      }
      return new Prepared(id, path, d.image(), null, t1 - t0, t2 - t1);
    }

    private CompletableFuture<Done> infer(Prepared p) {
      if (p.failure() != null) {
        return CompletableFuture.completedFuture(done(p, p.failure()));
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
      return out.thenApply(o -> done(p, ok(p.image(), o.result(), o.inferenceMs(), p.decodeNanos())))
          // a failed batch is retried for this image alone, so one poisonous image costs only its own row
          .exceptionallyAsync(batchFailure -> done(p, alone(p)), pipeline.prepare());
    }

    private ImageSegmenter.Outcome alone(Prepared p) {
      try {
        long t0 = System.nanoTime();
        ImageResult r = model.predict(List.of(p.image()), options).get(0);
        return ok(p.image(), r, (System.nanoTime() - t0) / 1e6, p.decodeNanos());
      } catch (RuntimeException e) {
        return new ImageSegmenter.Outcome(ImageStatus.INFERENCE_ERROR, e.getClass().getSimpleName() + ": "
            + e.getMessage(), p.image().width(), p.image().height(), null, List.of(), p.decodeNanos());
      }
    }

    private Done done(Prepared p, ImageSegmenter.Outcome o) {
      boolean ok = ImageStatus.OK.equals(o.status());
      ExecutorMetrics.finished(ok);
      return new Done(ResultRows.imageResult(p.id(), p.path(), o), ok, o.instances().size(), p.readNanos(),
          p.decodeNanos(), o.inferenceMs() == null ? 0 : o.inferenceMs());
    }

    /** Accumulators are not thread-safe: only the task thread adds to them. */
    private void account(Done d) {
      if (metrics == null) {
        return;
      }
      metrics.images.add(1);
      if (!d.ok()) {
        metrics.failed.add(1);
      }
      metrics.instances.add(d.instances());
      metrics.readMs.add(d.readNanos() / 1e6);
      metrics.decodeMs.add(d.decodeNanos() / 1e6);
      metrics.inferenceMs.add(d.inferenceMs());
    }
  }

  private static ImageSegmenter.Outcome ok(RgbImage img, ImageResult r, double ms, long decodeNanos) {
    return new ImageSegmenter.Outcome(ImageStatus.OK, null, img.width(), img.height(), ms, r.instances(), decodeNanos);
  }

  private static Integer positive(int v) {
    return v > 0 ? v : null;
  }
}
