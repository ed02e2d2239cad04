package io.sparkseg.job.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoJsonReader;
import io.sparkseg.core.coco.CocoJsonWriter;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.mask.Rle;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark's generator, at a tiny size. */
class SyntheticEvalCaseTest {
  @Test
  void ellipseRunsMatchThePixels() {
    int h = 30;
    int w = 40;
    double[][] shapes = {{10, 12, 5.5, 3.2}, {0, 0, 8, 8}, {39.5, 29.5, 6, 9}, {20, 15, 30, 30}, {5, 5, 0.3, 0.3}};
    for (double[] s : shapes) {
      byte[] col = new byte[h * w];
      for (int x = 0; x < w; x++) {
        double dx = (x + .5 - s[0]) / s[2];
        if (dx * dx > 1) {
          continue;
        }
        double half = s[3] * Math.sqrt(1 - dx * dx);
        for (int y = 0; y < h; y++) {
          if (y >= Math.ceil(s[1] - half - .5) && y <= Math.floor(s[1] + half - .5)) {
            col[x * h + y] = 1;
          }
        }
      }
      assertArrayEquals(Rle.encode(h, w, col).counts(), SyntheticEvalCase.ellipse(h, w, s[0], s[1], s[2], s[3]).counts());
    }
  }

  @Test
  void smallCaseEvaluates() {
    SyntheticEvalCase.Case c = SyntheticEvalCase.generate(12, 80, 600, 1);
    assertEquals(12, c.groundTruth().images().size());
    assertEquals(80, c.groundTruth().annotations().size());
    assertEquals(600, c.detections().size());
    for (IouType t : IouType.values()) {
      double ap = EvalSummary.of(CocoEvaluator.evaluate(c.groundTruth(), c.detections(), t)).stats()[0];
      assertTrue(ap > 0.05 && ap < 1, t + " AP " + ap);
    }
  }

  @Test
  void asCocoJsonItEvaluatesTheSame() throws IOException {
    SyntheticEvalCase.Case c = SyntheticEvalCase.generate(20, 300, 1500, 2);
    ByteArrayOutputStream gt = new ByteArrayOutputStream();
    CocoJsonWriter.write(gt, c.groundTruth());
    ByteArrayOutputStream res = new ByteArrayOutputStream();
    CocoJsonWriter.write(res, c.detections());
    CocoDataset gt2 = CocoJsonReader.readDataset(new ByteArrayInputStream(gt.toByteArray()));
    List<CocoDetection> dts2 = CocoJsonReader.readResults(new ByteArrayInputStream(res.toByteArray()));
    assertEquals(List.of("nose", "left_eye"), gt2.category(SyntheticEvalCase.KEYPOINT_CATEGORY).keypoints().subList(0, 2));
    assertTrue(gt2.annotations().stream().anyMatch(a -> a.iscrowd()), "the case has crowd GT");
    for (IouType t : IouType.values()) {
      assertArrayEquals(EvalSummary.of(CocoEvaluator.evaluate(c.groundTruth(), c.detections(), t)).stats(),
          EvalSummary.of(CocoEvaluator.evaluate(gt2, dts2, t)).stats(), t.cocoName());
    }
  }
}
