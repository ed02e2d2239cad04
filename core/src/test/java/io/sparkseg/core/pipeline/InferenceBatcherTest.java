package io.sparkseg.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.ModelBundle;
import io.sparkseg.core.model.PredictOptions;
import io.sparkseg.core.result.ImageResult;
import io.sparkseg.core.testing.RepoRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Several submitting threads share one model through the batcher: same answers, real batches. */
class InferenceBatcherTest {
  /** One loaded model for every case: the batcher shares one model between threads, as an executor does. */
  static MaskRcnnModel model;

  @BeforeAll
  static void load() throws Exception {
    model = MaskRcnnModel.load(ModelBundle.load(RepoRoot.path().resolve("samples/model")), "cpu");
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @ParameterizedTest(name = "{0} inference thread(s)")
  @ValueSource(ints = {1, 2})
  void crossThreadBatchesGiveTheSameResultsAsDirectCalls(int inferenceThreads) throws Exception {
    Path root = RepoRoot.path();
    List<RgbImage> images = new ArrayList<>();
    ImageDecoder decoder = new ImageDecoder();
    // the same image four times: batches then add no padding, so answers must match exactly
    // (padding images of different sizes to one canvas shifts this model's border detections)
    RgbImage sample = decoder.decode(Files.readAllBytes(root.resolve("samples/images/val_000000.jpg"))).image();
    for (int i = 0; i < 4; i++) {
      images.add(sample);
    }
    PredictOptions options = new PredictOptions(0.3f, 0.5f);
    // one image, one direct answer: every submission must get it back
    List<ImageResult> direct = Collections.nCopies(images.size(), model.predict(List.of(sample), options).get(0));
    ExecutorService tasks = Executors.newFixedThreadPool(4);
    AtomicInteger heardImages = new AtomicInteger();
    AtomicInteger heardBatches = new AtomicInteger();
    AtomicInteger heardInstances = new AtomicInteger();
    BatchListener listener = new BatchListener() {
      @Override
      public void onBatch(int n, long forwardNanos, long queueWaitNanos, int queueDepth) {
        heardImages.addAndGet(n);
        heardBatches.incrementAndGet();
        assertTrue(forwardNanos > 0 && queueWaitNanos >= 0 && queueDepth >= 0);
      }

      @Override
      public void onPostprocess(int instances, long nanos) {
        heardInstances.addAndGet(instances);
      }
    };
    try (InferenceBatcher batcher = new InferenceBatcher(model, 4, Duration.ofMillis(500), 8, 2, inferenceThreads, listener)) {
      List<Future<CompletableFuture<InferenceBatcher.Output>>> submitted = new ArrayList<>();
      for (RgbImage img : images) {
        submitted.add(tasks.submit(() -> batcher.submit(img, options)));
      }
      int compared = 0;
      for (int i = 0; i < images.size(); i++) {
        InferenceBatcher.Output out = submitted.get(i).get().get();
        ImageResult r = out.result();
        assertTrue(out.inferenceMs() > 0 && out.batchSize() >= 1 && out.batchSize() <= 4);
        ImageResult d = direct.get(i);
        assertEquals(d.width(), r.width(), "results come back to the image that submitted them");
        assertEquals(d.height(), r.height());
        assertEquals(d.instances().size(), r.instances().size());
        for (int j = 0; j < d.instances().size(); j++) {
          assertEquals(d.instances().get(j).categoryId(), r.instances().get(j).categoryId());
          assertEquals(d.instances().get(j).score(), r.instances().get(j).score(), 1e-4);
          assertTrue(iou(d.instances().get(j).box(), r.instances().get(j).box()) > 0.999);
          compared++;
        }
      }
      assertTrue(compared > 0, "no confident detections to compare");
      // the listener hears of a batch before its images are post-processed, so it has heard them all
      assertEquals(4, heardImages.get(), "the listener hears every image");
      if (inferenceThreads == 1) {
        assertTrue(heardBatches.get() < 4, "images from different threads shared a batch: " + heardBatches.get());
      }
      batcher.close();
      assertEquals(direct.stream().mapToInt(d -> d.instances().size()).sum(), heardInstances.get());
    } finally {
      tasks.shutdown();
    }
  }

  @Test
  void imagesOfDifferentCanvasesNeverShareABatchSoResultsMatchSingleImageRuns() throws Exception {
    Path root = RepoRoot.path();
    ImageDecoder decoder = new ImageDecoder();
    // two sample images whose resized sizes round up to different 32-multiples
    RgbImage a = decoder.decode(Files.readAllBytes(root.resolve("samples/images/val_000000.jpg"))).image();
    RgbImage b = decoder.decode(Files.readAllBytes(root.resolve("samples/images/val_000002.jpg"))).image();
    PredictOptions options = new PredictOptions(0.05f, 0.5f);
    int d = model.bundle().sizeDivisibility();
    int[] sa = model.bundle().resize().resizedSize(a.width(), a.height());
    int[] sb = model.bundle().resize().resizedSize(b.width(), b.height());
    assertTrue((sa[0] + d - 1) / d != (sb[0] + d - 1) / d || (sa[1] + d - 1) / d != (sb[1] + d - 1) / d,
        "the two images need different canvases for this test");
    List<RgbImage> images = List.of(a, b, a, b);
    ImageResult directA = model.predict(List.of(a), options).get(0);
    ImageResult directB = model.predict(List.of(b), options).get(0);
    List<ImageResult> direct = List.of(directA, directB, directA, directB);
    AtomicInteger batches = new AtomicInteger();
    BatchListener listener = new BatchListener() {
      @Override
      public void onBatch(int n, long forwardNanos, long queueWaitNanos, int queueDepth) {
        batches.incrementAndGet();
      }
    };
    try (InferenceBatcher batcher = new InferenceBatcher(model, 4, Duration.ofMillis(300), 8, 1, 1, listener)) {
      List<CompletableFuture<InferenceBatcher.Output>> futures = new ArrayList<>();
      for (RgbImage img : images) {
        futures.add(batcher.submit(img, options));
      }
      for (int i = 0; i < images.size(); i++) {
        InferenceBatcher.Output out = futures.get(i).get();
        assertTrue(out.batchSize() <= 2, "only same-canvas images batch together: " + out.batchSize());
        ImageResult r = out.result();
        assertEquals(direct.get(i).instances().size(), r.instances().size(), "image " + i);
        for (int j = 0; j < r.instances().size(); j++) {
          assertEquals(direct.get(i).instances().get(j).score(), r.instances().get(j).score(), 1e-4);
          assertTrue(iou(direct.get(i).instances().get(j).box(), r.instances().get(j).box()) > 0.999);
        }
      }
      assertTrue(batches.get() >= 2, "two canvases, at least two batches: " + batches.get());
    }
  }

  private static double iou(io.sparkseg.core.result.BoundingBox a, io.sparkseg.core.result.BoundingBox b) {
    double iw = Math.min(a.x2(), b.x2()) - Math.max(a.x(), b.x());
    double ih = Math.min(a.y2(), b.y2()) - Math.max(a.y(), b.y());
    double inter = Math.max(0, iw) * Math.max(0, ih);
    return inter / (a.area() + b.area() - inter);
  }

  @Test
  void rejectsInconsistentLimits() {
    assertThrows(IllegalArgumentException.class, () -> new InferenceBatcher(null, 8, Duration.ZERO, 4, 1, 1, BatchListener.NONE));
  }
}
