package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkseg.core.image.DecodeResult;
import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.mask.MaskIou;
import io.sparkseg.core.mask.Rle;
import io.sparkseg.core.result.ImageResult;
import io.sparkseg.core.result.Instance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Java (DJL + libtorch 2.7, scripted model with pure-aten ops, our resize/paste/RLE) against
 * eager torchvision (torch 1.13, native ops) on the same weights: {@code samples/golden}, made by
 * {@code models/sparkseg_models/golden.py}. Same labels, boxes within 0.5 px, mask IoU >= 0.98,
 * keypoints within 1 px.
 */
class GoldenParityTest {
  /** Detections this close to the golden score cut may fall on either side of it. */
  private static final double MARGIN = 0.01;
  /**
   * Masks under this many pixels are compared by differing pixels, not IoU: below 50 pixels one pixel whose
   * probability sits at the 0.5 threshold (libtorch 2.7 against torch 1.13 arithmetic) already costs more than
   * the 0.02 of IoU the parity rule allows.
   */
  private static final long TINY_MASK = 50;

  static MaskRcnnModel model;
  static Path root;

  @BeforeAll
  static void load() {
    root = TestBundles.repoRoot();
    model = MaskRcnnModel.load(ModelBundle.load(root.resolve("samples/model")), "cpu");
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @TestFactory
  Stream<DynamicTest> javaMatchesEagerTorchvision() throws Exception {
    Path dir = root.resolve("samples/golden");
    JsonNode index = TestBundles.JSON.readTree(dir.resolve("index.json").toFile());
    assertEquals(model.bundle().sha256(), index.get("model_sha256").asText(),
        "samples/golden was made for another model.pt: regenerate it (models/README.md)");
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(p -> !p.getFileName().toString().equals("index.json") && p.toString().endsWith(".json"))
          .sorted().forEach(files::add);
    }
    assertFalse(files.isEmpty(), "no golden files in " + dir);
    long comparable = 0;
    for (Path f : files) {
      JsonNode g = TestBundles.JSON.readTree(f.toFile());
      double cut = g.get("score_threshold").asDouble();
      for (JsonNode d : g.get("detections")) {
        comparable += d.get("score").asDouble() >= cut + MARGIN ? 1 : 0;
      }
    }
    assertTrue(comparable >= 5, "samples/golden holds only " + comparable + " detections to compare");
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> compare(f)));
  }

  private void compare(Path goldenFile) throws Exception {
    JsonNode g = TestBundles.JSON.readTree(goldenFile.toFile());
    double cut = g.get("score_threshold").asDouble();
    DecodeResult decoded = new ImageDecoder().decode(
        Files.readAllBytes(root.resolve("samples/images").resolve(g.get("file_name").asText())));
    assertTrue(decoded.isOk(), decoded.message());
    assertEquals(g.get("width").asInt(), decoded.width());
    assertEquals(g.get("height").asInt(), decoded.height());
    int[] resized = model.bundle().resize().resizedSize(decoded.width(), decoded.height());
    assertEquals(g.get("resized").get(0).asInt(), resized[0], "resized height");
    assertEquals(g.get("resized").get(1).asInt(), resized[1], "resized width");

    ImageResult java = model.predict(List.of(decoded.image()),
        new PredictOptions((float) Math.max(0, cut - MARGIN), (float) g.get("mask_threshold").asDouble())).get(0);
    List<Instance> unmatched = new ArrayList<>(java.instances());
    int compared = 0;
    for (JsonNode d : g.get("detections")) {
      if (d.get("score").asDouble() < cut + MARGIN) {
        continue; // borderline: may be legitimately absent on the Java side
      }
      Instance match = closest(unmatched, d);
      assertNotNull(match, "no Java detection for golden " + d.get("category_id") + " score " + d.get("score") + " box " + d.get("box"));
      unmatched.remove(match);
      assertEquals(d.get("category_id").asInt(), match.categoryId(), "category");
      assertEquals(d.get("score").asDouble(), match.score(), 1e-3, "score");
      JsonNode b = d.get("box");
      assertEquals(b.get(0).asDouble(), match.box().x(), 0.5, "x1");
      assertEquals(b.get(1).asDouble(), match.box().y(), 0.5, "y1");
      assertEquals(b.get(2).asDouble(), match.box().x2(), 0.5, "x2");
      assertEquals(b.get(3).asDouble(), match.box().y2(), 0.5, "y2");
      JsonNode m = d.get("mask");
      long[] counts = new long[m.get("counts").size()];
      for (int i = 0; i < counts.length; i++) {
        counts[i] = m.get("counts").get(i).asLong();
      }
      Rle golden = Rle.fromUncompressed(m.get("size").get(0).asInt(), m.get("size").get(1).asInt(), counts);
      double iou = MaskIou.iou(match.mask(), golden, false);
      long largest = Math.max(golden.area(), match.mask().area());
      if (largest >= TINY_MASK) {
        assertTrue(iou >= 0.98, "mask IoU " + iou + " for golden box " + b);
      } else {
        // a few pixels barely over the threshold: IoU is meaningless, count differing pixels
        long inter = Math.round(iou * (golden.area() + match.mask().area()) / (1 + iou));
        long differing = golden.area() + match.mask().area() - 2 * inter;
        assertTrue(differing <= 3, differing + " pixels differ in a tiny mask for golden box " + b);
      }
      // the mean of the pasted foreground probabilities, from libtorch's masks instead of eager torchvision's
      assertEquals(d.get("mask_score").asDouble(), match.maskScore(), 0.002, "mask score for golden box " + b);
      if (match.hasKeypoints()) {
        JsonNode kps = d.get("keypoints");
        assertEquals(kps.size(), match.keypoints().size());
        for (int k = 0; k < kps.size(); k++) {
          assertEquals(kps.get(k).get(0).asDouble(), match.keypoints().x(k), 1.0, "keypoint " + k + " x");
          assertEquals(kps.get(k).get(1).asDouble(), match.keypoints().y(k), 1.0, "keypoint " + k + " y");
        }
      }
      compared++;
    }
    for (Instance extra : unmatched) {
      assertTrue(extra.score() < cut + MARGIN, "Java found a detection eager torchvision did not: "
          + extra.categoryName() + " " + extra.score() + " " + extra.box());
    }
    System.out.println(goldenFile.getFileName() + ": " + compared + " detections compared");
  }

  /** The unmatched Java instance of the same label whose box is nearest the golden box. */
  private static Instance closest(List<Instance> candidates, JsonNode d) {
    JsonNode b = d.get("box");
    Instance best = null;
    double bestDist = 2.0; // px, summed over the four corners' coordinates
    for (Instance i : candidates) {
      if (i.categoryId() != d.get("category_id").asInt()) {
        continue;
      }
      double dist = Math.abs(i.box().x() - b.get(0).asDouble()) + Math.abs(i.box().y() - b.get(1).asDouble())
          + Math.abs(i.box().x2() - b.get(2).asDouble()) + Math.abs(i.box().y2() - b.get(3).asDouble());
      if (dist < bestDist) {
        bestDist = dist;
        best = i;
      }
    }
    return best;
  }
}
