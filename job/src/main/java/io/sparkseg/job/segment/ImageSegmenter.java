package io.sparkseg.job.segment;

import io.sparkseg.core.image.DecodeResult;
import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.PredictOptions;
import io.sparkseg.core.result.ImageResult;
import io.sparkseg.core.result.Instance;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes and segments a batch of images with a loaded model: bad bytes become statuses, good
 * images go to the model in one {@code predict} call. If a batch fails, its images are retried
 * one by one so that one poisonous image costs only its own {@code inference_error}.
 */
public final class ImageSegmenter {
  private final MaskRcnnModel model;
  private final ImageDecoder decoder;
  private final PredictOptions options;

  public ImageSegmenter(MaskRcnnModel model, long maxImagePixels, Float scoreThreshold, Float maskThreshold) {
    this.model = model;
    this.decoder = new ImageDecoder(maxImagePixels);
    PredictOptions d = model.bundle().defaultOptions();
    this.options = new PredictOptions(
        scoreThreshold == null ? d.scoreThreshold() : scoreThreshold,
        maskThreshold == null ? d.maskThreshold() : maskThreshold);
  }

  public MaskRcnnModel model() {
    return model;
  }

  /** The outcome for one image; {@code instances} is empty unless the status is ok. */
  public record Outcome(
      String status, String error, Integer width, Integer height, Double inferenceMs,
      List<Instance> instances, long decodeNanos) {}

  /**
   * Segments a batch. {@code reads} holds each image's bytes or its read failure; the result has
   * one outcome per input, in order.
   */
  public List<Outcome> segment(List<ImageBytes.Read> reads) {
    int n = reads.size();
    Outcome[] out = new Outcome[n];
    List<Integer> okIdx = new ArrayList<>();
    List<RgbImage> okImages = new ArrayList<>();
    long[] decodeNanos = new long[n];
    for (int i = 0; i < n; i++) {
      ImageBytes.Read r = reads.get(i);
      if (!r.ok()) {
        out[i] = new Outcome(r.status(), r.error(), null, null, null, List.of(), 0);
        continue;
      }
      long t0 = System.nanoTime();
      DecodeResult d = decoder.decode(r.bytes());
      decodeNanos[i] = System.nanoTime() - t0;
      if (d.isOk()) {
        okIdx.add(i);
        okImages.add(d.image());
      } else {
        out[i] = new Outcome(d.status().code(), d.message(), dim(d.width()), dim(d.height()), null, List.of(), decodeNanos[i]);
      }
    }
    if (!okImages.isEmpty()) {
      try {
        long t0 = System.nanoTime();
        List<ImageResult> results = model.predict(okImages, options);
        double perImage = (System.nanoTime() - t0) / 1e6 / okImages.size();
        for (int k = 0; k < okIdx.size(); k++) {
          int i = okIdx.get(k);
          out[i] = ok(okImages.get(k), results.get(k), perImage, decodeNanos[i]);
        }
      } catch (RuntimeException batchFailure) {
        for (int k = 0; k < okIdx.size(); k++) {
          int i = okIdx.get(k);
          RgbImage img = okImages.get(k);
          try {
            long t0 = System.nanoTime();
            ImageResult res = model.predict(List.of(img), options).get(0);
            out[i] = ok(img, res, (System.nanoTime() - t0) / 1e6, decodeNanos[i]);
          } catch (RuntimeException e) {
            out[i] = new Outcome(ImageStatus.INFERENCE_ERROR, e.getClass().getSimpleName() + ": " + e.getMessage(),
                img.width(), img.height(), null, List.of(), decodeNanos[i]);
          }
        }
      }
    }
    return List.of(out);
  }

  private static Outcome ok(RgbImage img, ImageResult r, double ms, long decodeNanos) {
    return new Outcome(ImageStatus.OK, null, img.width(), img.height(), ms, r.instances(), decodeNanos);
  }

  private static Integer dim(int v) {
    return v > 0 ? v : null;
  }
}
