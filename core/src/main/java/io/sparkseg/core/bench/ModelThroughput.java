package io.sparkseg.core.bench;

import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.model.ImageBatch;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.PredictOptions;
import io.sparkseg.core.model.RawDetections;
import io.sparkseg.core.model.ResizeRule;
import io.sparkseg.core.model.ResizedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures what the model alone can do on this machine: forward passes over batches that were
 * resized and padded beforehand (same-canvas images together, as the job batches them), so
 * nothing but inference is timed. This is the ceiling the
 * end-to-end job is compared against. Also times post-processing (paste + RLE) per instance.
 */
public final class ModelThroughput {
  private ModelThroughput() {}

  /**
   * Batches as the job's batcher forms them: only images of one canvas together (in order of
   * first appearance), so the ceiling pays no padding the job would not pay.
   */
  static List<ImageBatch> sameCanvasBatches(List<RgbImage> images, ResizeRule rule, int sizeDivisibility,
      int batchSize) {
    Map<Long, List<ResizedImage>> byCanvas = new LinkedHashMap<>();
    for (RgbImage image : images) {
      ResizedImage r = ResizedImage.of(image, rule);
      byCanvas.computeIfAbsent(r.canvas(sizeDivisibility), k -> new ArrayList<>()).add(r);
    }
    List<ImageBatch> batches = new ArrayList<>();
    for (List<ResizedImage> group : byCanvas.values()) {
      for (int i = 0; i < group.size(); i += batchSize) {
        batches.add(ImageBatch.ofResized(group.subList(i, Math.min(group.size(), i + batchSize))));
      }
    }
    return batches;
  }

  /** Images per second and milliseconds per image of one measurement. */
  public record Result(String what, int images, double seconds, long instances, double postprocessSeconds) {
    public double imagesPerSecond() {
      return images / seconds;
    }

    public double msPerImage() {
      return 1000.0 * seconds / images;
    }

    /** Mean post-processing (paste + RLE) cost per instance, microseconds; NaN when nothing was decoded. */
    public double postprocessMicrosPerInstance() {
      return instances == 0 ? Double.NaN : 1e6 * postprocessSeconds / instances;
    }
  }

  /**
   * Runs {@code warmup} unmeasured passes, then passes over {@code images} (cycled) in batches of
   * {@code batchSize} until {@code measuredImages} images have gone through.
   */
  public static Result forwardOnly(MaskRcnnModel model, List<RgbImage> images, int batchSize, int warmup,
      int measuredImages, PredictOptions decodeWith) {
    return forwardOnly(model, images, batchSize, warmup, measuredImages, decodeWith, 1);
  }

  /**
   * As above with {@code threads} threads running forward passes of the one model concurrently
   * (the limit to compare a job with that many inference threads against). Post-processing of a
   * batch runs on its thread after the forward pass and is timed apart.
   */
  public static Result forwardOnly(MaskRcnnModel model, List<RgbImage> images, int batchSize, int warmup,
      int measuredImages, PredictOptions decodeWith, int threads) {
    return forwardOnly(model, images, batchSize, warmup, measuredImages, decodeWith, threads, null);
  }

  /**
   * As above, with libtorch's profiler recording the measured passes (not the warm-up) when
   * {@code profile} is not null. The profiler sees only the thread that starts it, so profiling
   * needs {@code threads} = 1, and the passes then run on the calling thread.
   */
  public static Result forwardOnly(MaskRcnnModel model, List<RgbImage> images, int batchSize, int warmup,
      int measuredImages, PredictOptions decodeWith, int threads, TorchProfile profile) {
    if (profile != null && threads != 1) {
      throw new IllegalArgumentException("libtorch's profiler records one thread: profile with 1 inference "
          + "thread, not " + threads);
    }
    List<ImageBatch> batches =
        sameCanvasBatches(images, model.bundle().resize(), model.bundle().sizeDivisibility(), batchSize);
    for (int i = 0; i < warmup; i++) {
      model.infer(batches.get(i % batches.size()), decodeWith.scoreThreshold());
    }
    AtomicInteger next = new AtomicInteger();
    AtomicInteger claimed = new AtomicInteger();
    AtomicInteger ran = new AtomicInteger();
    AtomicLong instances = new AtomicLong();
    AtomicLong postNanos = new AtomicLong();
    Runnable worker = () -> {
      while (true) {
        int i = next.getAndIncrement();
        ImageBatch b = batches.get(i % batches.size());
        if (claimed.getAndAdd(b.size()) >= measuredImages) {
          return;
        }
        // as the job runs it: the heads skip detections under the score threshold it decodes with
        RawDetections raw = model.infer(b, decodeWith.scoreThreshold());
        ran.addAndGet(b.size());
        long t1 = System.nanoTime();
        instances.addAndGet(model.decoder().decode(raw, decodeWith).stream().mapToLong(r -> r.instances().size()).sum());
        postNanos.addAndGet(System.nanoTime() - t1);
      }
    };
    if (profile != null) {
      profile.start();
      long t0 = System.nanoTime();
      try {
        worker.run();
      } finally {
        profile.stop();
      }
      return result(batchSize, 1, t0, ran, instances, postNanos);
    }
    long t0 = System.nanoTime();
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(worker, "bench-forward-" + i);
      workers.add(t);
      t.start();
    }
    for (Thread t : workers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    return result(batchSize, threads, t0, ran, instances, postNanos);
  }

  private static Result result(int batchSize, int threads, long t0, AtomicInteger ran, AtomicLong instances,
      AtomicLong postNanos) {
    // wall time minus the post-processing share, so only forward passes count
    double seconds = ((System.nanoTime() - t0) - postNanos.get() / (double) threads) / 1e9;
    return new Result("model forward, batch " + batchSize + ", " + threads + " thread(s)", ran.get(), seconds,
        instances.get(), postNanos.get() / 1e9);
  }
}
