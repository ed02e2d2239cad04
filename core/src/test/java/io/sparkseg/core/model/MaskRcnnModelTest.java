package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.image.DecodeResult;
import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.result.ImageResult;
import io.sparkseg.core.result.Instance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The bundled model on real libtorch: result structure, and batching that does not change answers. */
class MaskRcnnModelTest {
  static MaskRcnnModel model;
  static List<RgbImage> images = new ArrayList<>();
  /** The three images in one batch at score 0.05 (the model's default flip): what several cases check. */
  static final PredictOptions LOW = new PredictOptions(0.05f, 0.5f);
  static List<ImageResult> atLow;

  @BeforeAll
  static void load() throws Exception {
    Path root = TestBundles.repoRoot();
    model = MaskRcnnModel.load(ModelBundle.load(root.resolve("samples/model")), "cpu");
    ImageDecoder decoder = new ImageDecoder();
    for (String name : List.of("val_000000.jpg", "val_000001.jpg", "val_000002.jpg")) {
      DecodeResult r = decoder.decode(Files.readAllBytes(root.resolve("samples/images").resolve(name)));
      assertTrue(r.isOk(), name + ": " + r.message());
      images.add(r.image());
    }
    atLow = model.predict(images, LOW);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void resultsAreWellFormed() {
    List<ImageResult> results = atLow;
    assertEquals(images.size(), results.size());
    for (int i = 0; i < images.size(); i++) {
      ImageResult r = results.get(i);
      assertEquals(images.get(i).width(), r.width());
      assertEquals(images.get(i).height(), r.height());
      float previous = Float.MAX_VALUE;
      for (Instance inst : r.instances()) {
        assertTrue(inst.score() >= 0.05f && inst.score() <= previous, "scores sorted and above threshold");
        previous = inst.score();
        assertEquals(r.height(), inst.mask().height());
        assertEquals(r.width(), inst.mask().width());
        assertTrue(inst.box().x() >= -1e-3 && inst.box().x2() <= r.width() + 1e-3, "box inside the image");
        assertTrue(inst.box().y() >= -1e-3 && inst.box().y2() <= r.height() + 1e-3, "box inside the image");
        Category c = model.bundle().categories().stream().filter(x -> x.id() == inst.categoryId()).findFirst().orElseThrow();
        assertEquals(c.name(), inst.categoryName());
        if (c.hasKeypoints()) {
          assertNotNull(inst.keypoints());
          assertEquals(c.keypointNames().size(), inst.keypoints().size());
        } else {
          assertNull(inst.keypoints());
        }
      }
    }
  }

  @Test
  void imagesInOneBatchGetTheirOwnAnswers() {
    // Same-size images: no extra padding, so a batch must reproduce the one-by-one answers.
    // (Images of different sizes are padded to a common canvas, and this small model's
    // detections near the padded border shift with it -- eager torchvision batches do the
    // same, checked in Python -- so only same-size batches can be compared exactly.)
    PredictOptions options = new PredictOptions(0.05f, 0.5f);
    ImageResult single = model.predict(List.of(images.get(0)), options).get(0);
    List<ImageResult> batched = model.predict(List.of(images.get(0), images.get(0)), options);
    assertTrue(single.instances().size() > 0, "the sample image should have detections");
    for (ImageResult r : batched) {
      assertEquals(single.instances().size(), r.instances().size());
      for (int j = 0; j < single.instances().size(); j++) {
        Instance a = single.instances().get(j);
        Instance b = r.instances().get(j);
        assertEquals(a.categoryId(), b.categoryId());
        assertEquals(a.score(), b.score(), 1e-4);
        assertTrue(boxIou(a, b) > 0.999, "box " + a.box() + " vs " + b.box());
        assertEquals(a.mask().area(), b.mask().area(), Math.max(2, a.mask().area() / 100));
      }
    }
    // Different sizes: each image's results come back in its own coordinates.
    List<ImageResult> mixed = atLow;
    for (int i = 0; i < images.size(); i++) {
      assertEquals(images.get(i).width(), mixed.get(i).width());
      assertEquals(images.get(i).height(), mixed.get(i).height());
    }
  }

  @Test
  void threadsSharingOneFreshModelGetTheOneThreadAnswers() throws Exception {
    // Four threads start on a just-loaded module at once, with input shapes it has not run yet, as the
    // task threads of an executor do. Forward must not write module state (the exporter checks it): a
    // write there once crashed libtorch in exactly this situation.
    PredictOptions options = new PredictOptions(0.05f, 0.5f);
    try (MaskRcnnModel fresh = MaskRcnnModel.load(model.bundle(), "cpu")) {
      int threads = 4;
      int rounds = 2;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Future<List<ImageResult>>> futures = new ArrayList<>();
      try {
        for (int t = 0; t < threads; t++) {
          int offset = t;
          futures.add(pool.submit(() -> {
            start.await();
            List<ImageResult> seen = new ArrayList<>();
            for (int k = 0; k < rounds * images.size(); k++) {
              seen.add(fresh.predict(List.of(images.get((k + offset) % images.size())), options).get(0));
            }
            return seen;
          }));
        }
        List<ImageResult> alone = new ArrayList<>();
        List<List<ImageResult>> concurrent = new ArrayList<>();
        for (Future<List<ImageResult>> f : futures) {
          concurrent.add(f.get(5, TimeUnit.MINUTES));
        }
        for (RgbImage image : images) {
          alone.add(fresh.predict(List.of(image), options).get(0));
        }
        for (int t = 0; t < threads; t++) {
          for (int k = 0; k < rounds * images.size(); k++) {
            assertSameAnswer(alone.get((k + t) % images.size()), concurrent.get(t).get(k), "thread " + t + " run " + k);
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  private static void assertSameAnswer(ImageResult want, ImageResult got, String where) {
    assertEquals(want.instances().size(), got.instances().size(), where + ": instance count");
    for (int j = 0; j < want.instances().size(); j++) {
      Instance a = want.instances().get(j);
      Instance b = got.instances().get(j);
      assertEquals(a.categoryId(), b.categoryId(), where + " instance " + j);
      assertEquals(a.score(), b.score(), 1e-5, where + " instance " + j);
      assertTrue(boxIou(a, b) > 0.9999, where + " instance " + j + ": box " + a.box() + " vs " + b.box());
      assertEquals(a.mask().area(), b.mask().area(), 1, where + " instance " + j);
    }
  }

  private static double boxIou(Instance a, Instance b) {
    double iw = Math.min(a.box().x2(), b.box().x2()) - Math.max(a.box().x(), b.box().x());
    double ih = Math.min(a.box().y2(), b.box().y2()) - Math.max(a.box().y(), b.box().y());
    double inter = Math.max(0, iw) * Math.max(0, ih);
    return inter / (a.box().area() + b.box().area() - inter);
  }

  @Test
  void theFlipSwitchMovesMasksAndKeypointsOnly() {
    // the embedded bundle flips by default and takes the switch: on is its default, off the fast setting
    assertTrue(model.bundle().flipByDefault() && model.bundle().flipSwitchable() && model.flips());
    PredictOptions options = LOW;
    List<ImageResult> byDefault = atLow;
    try (MaskRcnnModel on = MaskRcnnModel.load(model.bundle(), "cpu", FlipTest.ON);
        MaskRcnnModel off = MaskRcnnModel.load(model.bundle(), "cpu", FlipTest.OFF)) {
      assertTrue(on.flips());
      assertFalse(off.flips());
      List<ImageResult> flipped = on.predict(images, options);
      List<ImageResult> plain = off.predict(images, options);
      int masksMoved = 0;
      int keypointsMoved = 0;
      for (int i = 0; i < images.size(); i++) {
        assertSameAnswer(byDefault.get(i), flipped.get(i), "flip on, image " + i);
        ImageResult a = byDefault.get(i);
        ImageResult b = plain.get(i);
        assertEquals(a.instances().size(), b.instances().size(), "the flip does not touch the boxes");
        for (int j = 0; j < a.instances().size(); j++) {
          Instance x = a.instances().get(j);
          Instance y = b.instances().get(j);
          assertEquals(x.categoryId(), y.categoryId());
          assertEquals(x.score(), y.score(), 1e-5);
          assertTrue(boxIou(x, y) > 0.9999, "box " + x.box() + " vs " + y.box());
          masksMoved += x.mask().equals(y.mask()) ? 0 : 1;
          keypointsMoved += x.hasKeypoints() && !x.keypoints().equals(y.keypoints()) ? 1 : 0;
        }
      }
      assertTrue(masksMoved > 0 && keypointsMoved > 0, masksMoved + " masks, " + keypointsMoved + " keypoint sets moved");
    }
  }

  @Test
  void aMinScoreLeavesLowDetectionsOutBeforeTheHeadsAndKeepsTheRestAsTheyWere() {
    assertTrue(model.bundle().takesMinScore());
    ImageBatch batch = ImageBatch.of(images, model.bundle().resize());
    RawDetections all = model.infer(batch);
    RawDetections kept = model.infer(batch, 0.5f);
    int over = 0;
    for (int d = 0; d < all.count(); d++) {
      over += all.scores()[d] >= 0.5f ? 1 : 0;
    }
    assertTrue(over > 0 && over < all.count(), over + " of " + all.count() + " detections score >= 0.5");
    assertEquals(over, kept.count(), "the model returns only the detections it ran the heads on");
    for (int d = 0; d < kept.count(); d++) {
      assertTrue(kept.scores()[d] >= 0.5f, "score " + kept.scores()[d]);
    }
    PredictOptions options = new PredictOptions(0.5f, 0.5f);
    List<ImageResult> filteredAfter = model.decoder().decode(all, options);
    List<ImageResult> filteredBefore = model.decoder().decode(kept, options);
    int withKeypoints = 0;
    for (int i = 0; i < images.size(); i++) {
      assertSameAnswer(filteredAfter.get(i), filteredBefore.get(i), "image " + i);
      for (int j = 0; j < filteredAfter.get(i).instances().size(); j++) {
        Instance a = filteredAfter.get(i).instances().get(j);
        Instance b = filteredBefore.get(i).instances().get(j);
        assertEquals(a.hasKeypoints(), b.hasKeypoints());
        if (a.hasKeypoints()) {
          withKeypoints++;
          float[] x = a.keypoints().toArray();
          float[] y = b.keypoints().toArray();
          for (int k = 0; k < x.length; k++) {
            assertEquals(x[k], y[k], 0.05, "image " + i + " instance " + j + " keypoint value " + k);
          }
        }
      }
    }
    assertTrue(withKeypoints > 0, "persons among the kept detections");
    // predict passes its threshold on: the same answer as decoding everything
    List<ImageResult> predicted = model.predict(images, options);
    for (int i = 0; i < images.size(); i++) {
      assertSameAnswer(filteredAfter.get(i), predicted.get(i), "predict, image " + i);
    }
  }

  @Test
  void emptyInputGivesEmptyOutput() {
    assertTrue(model.predict(List.of(), model.bundle().defaultOptions()).isEmpty());
  }
}
