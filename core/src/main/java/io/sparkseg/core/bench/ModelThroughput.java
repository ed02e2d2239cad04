package io.sparkseg.core.bench;

import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.model.ImageBatch;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.PredictOptions;
import io.sparkseg.core.model.RawDetections;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures what the model alone can do on this machine: forward passes over batches that were
 * resized and padded beforehand, so nothing but inference is timed. This is the ceiling the
 * end-to-end job is compared against. Also times post-processing (paste + RLE) per instance.
 */
public final class ModelThroughput {
  private ModelThroughput() {}

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
    List<ImageBatch> batches = new ArrayList<>();
    for (int i = 0; i < images.size(); i += batchSize) {
      batches.add(ImageBatch.of(images.subList(i, Math.min(images.size(), i + batchSize)), model.bundle().resize()));
    }
    for (int i = 0; i < warmup; i++) {
      model.infer(batches.get(i % batches.size()));
    }
    int done = 0;
    long instances = 0;
    long forwardNanos = 0;
    long postNanos = 0;
    for (int i = 0; done < measuredImages; i++) {
      ImageBatch b = batches.get(i % batches.size());
      long t0 = System.nanoTime();
      RawDetections raw = model.infer(b);
      long t1 = System.nanoTime();
      instances += model.decoder().decode(raw, decodeWith).stream().mapToLong(r -> r.instances().size()).sum();
      postNanos += System.nanoTime() - t1;
      forwardNanos += t1 - t0;
      done += b.size();
    }
    return new Result("model forward, batch " + batchSize, done, forwardNanos / 1e9, instances, postNanos / 1e9);
  }
}
