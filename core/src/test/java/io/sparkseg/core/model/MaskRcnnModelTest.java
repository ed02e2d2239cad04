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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The bundled model on real libtorch: result structure, and batching that does not change answers. */
class MaskRcnnModelTest {
  static MaskRcnnModel model;
  static List<RgbImage> images = new ArrayList<>();

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
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void resultsAreWellFormed() {
    PredictOptions low = new PredictOptions(0.05f, 0.5f);
    List<ImageResult> results = model.predict(images, low);
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
  void batchingImagesOfDifferentSizesGivesTheSameAnswersAsOneByOne() {
    PredictOptions low = new PredictOptions(0.05f, 0.5f);
    List<ImageResult> batched = model.predict(images, low);
    assertFalse(images.get(0).width() == images.get(1).width() && images.get(0).height() == images.get(1).height(),
        "the test needs images of different sizes");
    for (int i = 0; i < images.size(); i++) {
      ImageResult single = model.predict(List.of(images.get(i)), low).get(0);
      ImageResult inBatch = batched.get(i);
      assertEquals(single.instances().size(), inBatch.instances().size(), "image " + i);
      for (int j = 0; j < single.instances().size(); j++) {
        Instance a = single.instances().get(j);
        Instance b = inBatch.instances().get(j);
        assertEquals(a.categoryId(), b.categoryId());
        assertEquals(a.score(), b.score(), 1e-3);
        assertEquals(a.box().x(), b.box().x(), 0.05);
        assertEquals(a.box().y(), b.box().y(), 0.05);
        assertEquals(a.box().width(), b.box().width(), 0.05);
        assertEquals(a.box().height(), b.box().height(), 0.05);
      }
    }
  }

  @Test
  void emptyInputGivesEmptyOutput() {
    assertTrue(model.predict(List.of(), model.bundle().defaultOptions()).isEmpty());
  }
}
