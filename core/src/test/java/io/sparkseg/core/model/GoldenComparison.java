package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

/**
 * One golden file (golden.py's format: detections with label, category_id, score, box, mask RLE, keypoints, optional
 * mask_score) against the Java predictor on the same image: same labels, boxes within 0.5 px, mask IoU >= 0.98,
 * keypoints within 1 px; detections near the golden score cut may fall on either side of it.
 */
final class GoldenComparison {
  /** Detections this close to the golden score cut may fall on either side of it. */
  static final double MARGIN = 0.01;
  /**
   * Masks under this many pixels are compared by differing pixels, not IoU: below 50 pixels one pixel whose
   * probability sits at the 0.5 threshold (libtorch 2.7 against torch 1.13 arithmetic) already costs more than
   * the 0.02 of IoU the parity rule allows.
   */
  private static final long TINY_MASK = 50;

  /** What one comparison saw: the largest box and keypoint differences (px) and the smallest mask IoU. */
  record Stats(int compared, double maxBoxDiff, double minMaskIou, double maxKeypointDiff, double seconds) {}

  private GoldenComparison() {}

  /** Golden detections over the cut plus the margin, which every comparison must find. */
  static long comparable(JsonNode golden) {
    double cut = golden.get("score_threshold").asDouble();
    long n = 0;
    for (JsonNode d : golden.get("detections")) {
      n += d.get("score").asDouble() >= cut + MARGIN ? 1 : 0;
    }
    return n;
  }

  static Stats compare(MaskRcnnModel model, Path images, Path goldenFile) throws Exception {
    JsonNode g = TestBundles.JSON.readTree(goldenFile.toFile());
    double cut = g.get("score_threshold").asDouble();
    DecodeResult decoded = new ImageDecoder().decode(Files.readAllBytes(images.resolve(g.get("file_name").asText())));
    assertTrue(decoded.isOk(), decoded.message());
    assertEquals(g.get("width").asInt(), decoded.width());
    assertEquals(g.get("height").asInt(), decoded.height());
    int[] resized = model.bundle().resize().resizedSize(decoded.width(), decoded.height());
    assertEquals(g.get("resized").get(0).asInt(), resized[0], "resized height");
    assertEquals(g.get("resized").get(1).asInt(), resized[1], "resized width");

    long start = System.nanoTime();
    ImageResult java = model.predict(List.of(decoded.image()),
        new PredictOptions((float) Math.max(0, cut - MARGIN), (float) g.get("mask_threshold").asDouble())).get(0);
    double seconds = (System.nanoTime() - start) / 1e9;
    List<Instance> unmatched = new ArrayList<>(java.instances());
    int compared = 0;
    double maxBox = 0;
    double minIou = 1;
    double maxKeypoint = 0;
    for (JsonNode d : g.get("detections")) {
      if (d.get("score").asDouble() < cut + MARGIN) {
        continue; // borderline: may be legitimately absent on the Java side
      }
      Instance match = closest(unmatched, d);
      assertNotNull(match, "no Java detection for golden " + d.get("category_id") + " score " + d.get("score")
          + " box " + d.get("box"));
      unmatched.remove(match);
      assertEquals(d.get("category_id").asInt(), match.categoryId(), "category");
      assertEquals(d.get("score").asDouble(), match.score(), 1e-3, "score");
      JsonNode b = d.get("box");
      double[] got = {match.box().x(), match.box().y(), match.box().x2(), match.box().y2()};
      for (int i = 0; i < 4; i++) {
        maxBox = Math.max(maxBox, Math.abs(b.get(i).asDouble() - got[i]));
        assertEquals(b.get(i).asDouble(), got[i], 0.5, "box coordinate " + i);
      }
      JsonNode m = d.get("mask");
      long[] counts = new long[m.get("counts").size()];
      for (int i = 0; i < counts.length; i++) {
        counts[i] = m.get("counts").get(i).asLong();
      }
      Rle golden = Rle.fromUncompressed(m.get("size").get(0).asInt(), m.get("size").get(1).asInt(), counts);
      double iou = MaskIou.iou(match.mask(), golden, false);
      long largest = Math.max(golden.area(), match.mask().area());
      if (largest >= TINY_MASK) {
        minIou = Math.min(minIou, iou);
        assertTrue(iou >= 0.98, "mask IoU " + iou + " for golden box " + b);
      } else {
        // a few pixels barely over the threshold: IoU is meaningless, count differing pixels
        long inter = Math.round(iou * (golden.area() + match.mask().area()) / (1 + iou));
        long differing = golden.area() + match.mask().area() - 2 * inter;
        assertTrue(differing <= 3, differing + " pixels differ in a tiny mask for golden box " + b);
      }
      if (d.has("mask_score")) {
        // the mean of the pasted foreground probabilities, from libtorch's masks instead of the eager model's
        assertEquals(d.get("mask_score").asDouble(), match.maskScore(), 0.002, "mask score for golden box " + b);
      }
      if (match.hasKeypoints()) {
        JsonNode kps = d.get("keypoints");
        assertEquals(kps.size(), match.keypoints().size());
        for (int k = 0; k < kps.size(); k++) {
          double dx = Math.abs(kps.get(k).get(0).asDouble() - match.keypoints().x(k));
          double dy = Math.abs(kps.get(k).get(1).asDouble() - match.keypoints().y(k));
          maxKeypoint = Math.max(maxKeypoint, Math.max(dx, dy));
          assertTrue(dx <= 1.0 && dy <= 1.0, "keypoint " + k + " off by (" + dx + ", " + dy + ") px");
        }
      }
      compared++;
    }
    for (Instance extra : unmatched) {
      assertTrue(extra.score() < cut + MARGIN, "Java found a detection the eager model did not: "
          + extra.categoryName() + " " + extra.score() + " " + extra.box());
    }
    Stats stats = new Stats(compared, maxBox, minIou, maxKeypoint, seconds);
    System.out.println(goldenFile.getFileName() + ": " + stats);
    return stats;
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
