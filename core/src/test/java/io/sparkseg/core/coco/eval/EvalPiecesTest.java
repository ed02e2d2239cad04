package io.sparkseg.core.coco.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Parameters, summary text, mergeable accumulation and loadRes errors. */
class EvalPiecesTest {
  @Test
  void thresholdsAreNumpyLinspace() {
    EvalParams p = EvalParams.defaults(IouType.BBOX, new int[] {1});
    String[] repr = {"0.5", "0.55", "0.6", "0.65", "0.7", "0.75", "0.8", "0.85", "0.8999999999999999", "0.95"};
    for (int i = 0; i < repr.length; i++) {
      assertEquals(Double.parseDouble(repr[i]), p.iouThr(i), 0.0, "iouThrs[" + i + "]");
    }
    assertEquals(101, p.recThrCount());
    assertEquals(0.35000000000000003, p.recThrs()[35], 0.0);
    assertEquals(1.0, p.recThrs()[100], 0.0);
    assertArrayEquals(new int[] {1, 10, 100}, p.maxDets());
    assertArrayEquals(new int[] {20}, EvalParams.defaults(IouType.KEYPOINTS, new int[] {1}).maxDets());
    assertEquals(.26 / 10.0, EvalParams.COCO_KEYPOINT_SIGMAS[0], 0.0);
  }

  @Test
  void summaryLinesArePycocotoolsFormat() throws Exception {
    CocoDataset gt = CocoEvaluatorVectorsTest.gt("c01_tiny");
    EvalSummary s = EvalSummary.of(CocoEvaluator.evaluate(gt, CocoEvaluatorVectorsTest.dts("c01_tiny"), IouType.BBOX));
    List<String> l = s.lines();
    assertEquals(12, l.size());
    assertEquals(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.382", l.get(0));
    assertEquals(" Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.663", l.get(1));
    assertEquals(" Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000", l.get(3));
    assertEquals(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.200", l.get(6));
    assertEquals(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.500", l.get(11));
    assertEquals("0.312", EvalSummary.fmt(0.3125, 3));
    assertEquals("0.001", EvalSummary.fmt(0.0005000000000000001, 3));
    assertEquals("-1.000", EvalSummary.fmt(-1, 3));
  }

  @Test
  void mergingPartialAccumulationsInAnyGroupingGivesTheSameResult() throws Exception {
    CocoDataset gt = CocoEvaluatorVectorsTest.gt("c04_crowd_ties");
    List<CocoDetection> dts = CocoEvaluatorVectorsTest.dts("c04_crowd_ties");
    EvalParams p = CocoEvaluator.defaultParams(gt, IouType.SEGM);
    List<LoadedDetection> loaded = LoadRes.apply(gt, dts, LoadRes.AreaSource.AUTO);
    List<ImageEval> evals = CocoEvaluator.evaluateImages(gt, loaded, p);
    EvalResult whole = CocoEvaluator.accumulate(p, evals);
    List<ImageEval> shuffled = new ArrayList<>(evals);
    Collections.shuffle(shuffled, new Random(7));
    List<Accumulation> parts = new ArrayList<>();
    for (ImageEval e : shuffled) {
      for (int a = 0; a < p.areaCount(); a++) {
        parts.add(Accumulation.of(e, a, p.iouThrCount()));
      }
    }
    Collections.shuffle(parts, new Random(11));
    EvalResult merged = EvalAccumulator.accumulate(p, parts);
    assertArrayEquals(EvalSummary.of(whole).stats(), EvalSummary.of(merged).stats(), 0.0);
    for (int t = 0; t < p.iouThrCount(); t++) {
      for (int r = 0; r < p.recThrCount(); r++) {
        for (int k = 0; k < p.catCount(); k++) {
          for (int a = 0; a < p.areaCount(); a++) {
            for (int m = 0; m < p.maxDetCount(); m++) {
              assertEquals(whole.precision(t, r, k, a, m), merged.precision(t, r, k, a, m), 0.0);
              assertEquals(whole.score(t, r, k, a, m), merged.score(t, r, k, a, m), 0.0);
            }
          }
        }
      }
    }
  }

  @Test
  void loadResErrors() throws Exception {
    CocoDataset gt = CocoEvaluatorVectorsTest.gt("c01_tiny");
    long img = gt.imageIds()[0];
    List<CocoDetection> unknownImage = List.of(new CocoDetection(123456789L, 1, 0.5, new double[] {0, 0, 1, 1}, null, null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LoadRes.apply(gt, unknownImage, LoadRes.AreaSource.AUTO));
    assertTrue(e.getMessage().contains("Results do not correspond to current coco set"), e.getMessage());
    List<CocoDetection> mixed = List.of(new CocoDetection(img, 1, 0.5, new double[] {0, 0, 1, 1}, null, null),
        new CocoDetection(img, 1, 0.4, null, null, null));
    e = assertThrows(IllegalArgumentException.class, () -> LoadRes.apply(gt, mixed, LoadRes.AreaSource.AUTO));
    assertTrue(e.getMessage().contains("detection #1 (image_id " + img + "): bbox is missing"), e.getMessage());
    // no detections at all: every GT is missed
    EvalSummary s = EvalSummary.of(CocoEvaluator.evaluate(gt, List.of(), IouType.BBOX));
    assertEquals(0.0, s.stats()[0], 0.0);
  }

  @Test
  void numpySumMatchesPairwiseOrder() {
    double[] a = new double[300];
    Random r = new Random(3);
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextDouble();
    }
    double naive = 0;
    for (double v : a) {
      naive += v;
    }
    assertEquals(naive, NumpyMath.sum(a, 0, a.length), 1e-12);
    assertEquals(6.0, NumpyMath.sum(new double[] {1, 2, 3}, 0, 3), 0.0);
  }
}
