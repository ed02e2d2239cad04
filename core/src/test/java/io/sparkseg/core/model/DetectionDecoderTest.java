package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkseg.core.mask.MaskPaster;
import io.sparkseg.core.mask.Rle;
import io.sparkseg.core.result.ImageResult;
import io.sparkseg.core.result.Instance;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Raw model outputs to per-image results: coordinates, the mask's paste box, keypoint categories. */
class DetectionDecoderTest {
  @TempDir Path tmp;

  private static final int M = 28;

  /** Two detections in one 100x80 image that the model saw resized to 200x160: a person and a car. */
  private static RawDetections twoDetections() {
    float[] boxes = {40, 40, 120, 120, 100, 20, 140, 60};
    float[] masks = new float[2 * M * M];
    Arrays.fill(masks, 1.0f);
    float[] kps = new float[2 * 17 * 3];
    for (int j = 0; j < 17; j++) {
      kps[3 * j] = 50 + j;
      kps[3 * j + 1] = 60;
    }
    return new RawDetections(boxes, new float[] {0.9f, 0.8f}, new long[] {1, 2}, masks, kps,
        new float[2 * 17], new long[] {0, 0}, new int[] {100}, new int[] {80}, new int[] {200},
        new int[] {160});
  }

  private ModelBundle bundle(double maskBoxScale) throws Exception {
    Path dir = TestBundles.write(tmp.resolve("b" + maskBoxScale), new byte[] {1},
        d -> ((ObjectNode) d.get("output")).put("mask_box_scale", maskBoxScale));
    return ModelBundle.load(dir);
  }

  @Test
  void boxesAndKeypointsGoBackToOriginalCoordinatesAndOnlyPersonsGetKeypoints() throws Exception {
    List<ImageResult> out = new DetectionDecoder(bundle(1.0)).decode(twoDetections(), new PredictOptions(0.5f, 0.5f));
    assertEquals(1, out.size());
    List<Instance> inst = out.get(0).instances();
    assertEquals(2, inst.size());
    assertEquals(20f, inst.get(0).box().x(), 1e-6);
    assertEquals(40f, inst.get(0).box().width(), 1e-6);
    assertNotNull(inst.get(0).keypoints());
    assertEquals(25f, inst.get(0).keypoints().x(0), 1e-6);
    assertNull(inst.get(1).keypoints(), "cars have no keypoints");
  }

  @Test
  void masksArePastedIntoTheBoxEnlargedByTheBundlesMaskBoxScale() throws Exception {
    PredictOptions opts = new PredictOptions(0.5f, 0.5f);
    Rle plain = new DetectionDecoder(bundle(1.0)).decode(twoDetections(), opts).get(0).instances().get(0).mask();
    Rle scaled = new DetectionDecoder(bundle(1.5)).decode(twoDetections(), opts).get(0).instances().get(0).mask();
    // the person's box is (20,20)-(60,60) in the original image; enlarged 1.5x about (40,40): (10,10)-(70,70)
    Rle expected = MaskPaster.paste(twoDetections().maskProbs(), 0, M, 10f, 10f, 70f, 70f, 80, 100, 0.5f).rle();
    assertEquals(expected, scaled);
    assertBoxNear(new double[] {20, 20, 40, 40}, plain.toBbox());
    assertBoxNear(new double[] {10, 10, 60, 60}, scaled.toBbox());
  }

  @Test
  void maskScoreIsTheScoreTimesTheMeanForegroundProbability() throws Exception {
    RawDetections raw = twoDetections();
    // same class score, a sure mask and a vague one
    raw.scores()[1] = 0.9f;
    Arrays.fill(raw.maskProbs(), 0, M * M, 0.95f);
    Arrays.fill(raw.maskProbs(), M * M, 2 * M * M, 0.6f);
    List<Instance> inst = new DetectionDecoder(bundle(1.0)).decode(raw, new PredictOptions(0.5f, 0.5f))
        .get(0).instances();
    float sure = MaskPaster.paste(raw.maskProbs(), 0, M, 20f, 20f, 60f, 60f, 80, 100, 0.5f).foregroundMean();
    assertEquals(0.9f * sure, inst.get(0).maskScore(), 1e-6);
    // inside the box the map is flat; only the blurred rim lowers the mean
    assertEquals(0.95, sure, 0.1);
    assertTrue(inst.get(1).maskScore() < inst.get(0).maskScore() - 0.2, "vague mask " + inst.get(1).maskScore());
    assertEquals(0.9f, inst.get(1).score(), "the class score itself is unchanged");
  }

  private static void assertBoxNear(double[] xywh, double[] got) {
    for (int i = 0; i < 4; i++) {
      // an all-ones mask fills its box up to the half-pixel blur of the paste at the edges
      assertEquals(xywh[i], got[i], 2.0, "bbox " + Arrays.toString(got));
    }
  }
}
