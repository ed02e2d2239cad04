package io.sparkseg.core.coco.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.mask.MaskBoundary;
import io.sparkseg.core.mask.Rle;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** iouType boundary: Boundary IoU's COCO evaluation on the coco-vectors cases and hand-made masks. */
class BoundaryEvalTest {

  static EvalResult evaluate(CocoDataset gt, List<CocoDetection> dts, EvalParams p) {
    return CocoEvaluator.evaluate(gt, dts, p, LoadRes.AreaSource.AUTO);
  }

  /** With boundaries wider than any mask every boundary is its whole mask, so boundary is segm. */
  @ParameterizedTest
  @ValueSource(strings = {"c02_small_mixed", "c04_crowd_ties", "c06_area_edges", "c08_moderate"})
  void wideBoundariesGiveTheSegmNumbers(String c) throws Exception {
    CocoDataset gt = CocoEvaluatorVectorsTest.gt(c);
    List<CocoDetection> dts = CocoEvaluatorVectorsTest.dts(c);
    double[] segm = EvalSummary.of(CocoEvaluator.evaluate(gt, dts, IouType.SEGM)).stats();
    EvalParams wide = CocoEvaluator.defaultParams(gt, IouType.BOUNDARY).withBoundaryDilationRatio(1.0);
    EvalSummary boundary = EvalSummary.of(evaluate(gt, dts, wide));
    assertArrayEquals(segm, boundary.stats(), 0.0, c);
    assertEquals(12, boundary.stats().length);
  }

  @Test
  void defaultBoundariesAreStricterThanMasks() throws Exception {
    String c = "c08_moderate";
    CocoDataset gt = CocoEvaluatorVectorsTest.gt(c);
    List<CocoDetection> dts = CocoEvaluatorVectorsTest.dts(c);
    EvalParams p = CocoEvaluator.defaultParams(gt, IouType.BOUNDARY);
    assertEquals(MaskBoundary.DEFAULT_DILATION_RATIO, p.boundaryDilationRatio());
    double[] segm = EvalSummary.of(CocoEvaluator.evaluate(gt, dts, IouType.SEGM)).stats();
    double[] boundary = EvalSummary.of(CocoEvaluator.evaluate(gt, dts, IouType.BOUNDARY)).stats();
    assertTrue(boundary[0] < segm[0], "boundary AP " + boundary[0] + ", segm AP " + segm[0]);
    assertTrue(boundary[0] > 0, "boundary AP " + boundary[0]);
    assertArrayEquals(boundary, EvalSummary.of(evaluate(gt, dts, p)).stats(), 0.0);
    // the parallel path: the same numbers
    List<LoadedDetection> loaded = LoadRes.apply(gt, dts, LoadRes.AreaSource.AUTO);
    assertArrayEquals(boundary, EvalSummary.of(CocoEvaluator.evaluateLoadedInParallel(gt, loaded, p)).stats(), 0.0);
  }

  /** Skipping the boundaries of pairs below the lowest threshold changes no value a threshold sees. */
  @Test
  void theFloorOnlyTouchesPairsBelowTheLowestThreshold() throws Exception {
    String c = "c04_crowd_ties";
    CocoDataset gt = CocoEvaluatorVectorsTest.gt(c);
    EvalParams p = CocoEvaluator.defaultParams(gt, IouType.BOUNDARY);
    List<LoadedDetection> loaded = LoadRes.apply(gt, CocoEvaluatorVectorsTest.dts(c), LoadRes.AreaSource.AUTO);
    int pairs = 0;
    int below = 0;
    for (var byImage : CocoEvaluator.detectionsByImage(gt, loaded, p).entrySet()) {
      var gts = CocoEvaluator.groundTruth(gt, gt.image(byImage.getKey()), p);
      for (var byCat : byImage.getValue().entrySet()) {
        List<EvalGt> g = gts.getOrDefault(byCat.getKey(), List.of());
        List<EvalDt> d = byCat.getValue();
        if (g.isEmpty()) {
          continue;
        }
        double[][] floored = ImageEvaluator.ious(p, byImage.getKey(), byCat.getKey(), d, g);
        List<Rle> dm = d.stream().map(EvalDt::mask).toList();
        List<Rle> gm = g.stream().map(EvalGt::mask).toList();
        boolean[] crowd = new boolean[g.size()];
        for (int j = 0; j < crowd.length; j++) {
          crowd[j] = g.get(j).crowd();
        }
        Rle any = dm.get(0);
        double[][] full = io.sparkseg.core.mask.BoundaryIou.matrix(dm, gm, crowd,
            MaskBoundary.dilation(any.height(), any.width(), p.boundaryDilationRatio()));
        for (int i = 0; i < d.size(); i++) {
          for (int j = 0; j < g.size(); j++) {
            pairs++;
            if (full[i][j] >= 0.5 || floored[i][j] >= 0.5) {
              assertEquals(full[i][j], floored[i][j], 0.0);
            } else {
              below++;
            }
          }
        }
      }
    }
    assertTrue(pairs > 100 && below > 0 && below < pairs, pairs + " pairs, " + below + " below 0.5");
  }

  static Rle square(int size, int x0, int y0, int x1, int y1) {
    byte[] m = new byte[size * size];
    for (int y = y0; y < y1; y++) {
      for (int x = x0; x < x1; x++) {
        m[y * size + x] = 1;
      }
    }
    return Rle.encodeRowMajor(size, size, m);
  }

  @Test
  void crowdGroundTruthKeepsTheMaskIou() {
    int size = 40; // diagonal 56.6: at 0.02 the boundary is 1 pixel wide
    // gt 0: a 20x20 square; gt 1: a crowd region; dt 1 is gt 0 shifted by 4 (mask IoU 0.67, boundary
    // IoU 0.11); dt 2 lies inside the crowd region
    EvalGt object = new EvalGt(10, false, false, 400, null, square(size, 2, 2, 22, 22), null);
    EvalGt crowd = new EvalGt(11, true, true, 300, null, square(size, 25, 20, 40, 40), null);
    EvalDt shifted = new EvalDt(1, 0.9, 400, null, square(size, 6, 2, 26, 22), null);
    EvalDt inCrowd = new EvalDt(2, 0.8, 100, null, square(size, 28, 25, 38, 35), null);
    List<EvalGt> gts = List.of(object, crowd);
    List<EvalDt> dts = List.of(shifted, inCrowd);
    EvalParams segm = EvalParams.defaults(IouType.SEGM, new int[] {1});
    EvalParams boundary = EvalParams.defaults(IouType.BOUNDARY, new int[] {1});
    double[][] m = ImageEvaluator.ious(segm, 1, 1, dts, gts);
    double[][] b = ImageEvaluator.ious(boundary, 1, 1, dts, gts);
    assertEquals(320.0 / 480, m[0][0], 1e-15);
    // the rings (76 pixels each) share the top and bottom rows over x = 6..21: 32 pixels
    assertEquals(32.0 / (76 + 76 - 32), b[0][0], 1e-15);
    assertEquals(1.0, m[1][1], 0.0, "inside the crowd region: intersection over the detection's area");
    assertEquals(m[1][1], b[1][1], 0.0, "crowd: the mask IoU, no boundary term");
    assertEquals(0, b[1][0]);
    // at IoU 0.5 segm matches dt 1, boundary does not; dt 2 is ignored (matched to the crowd) in both
    ImageEval es = ImageEvaluator.evaluate(segm, 1, 1, gts, dts);
    ImageEval eb = ImageEvaluator.evaluate(boundary, 1, 1, gts, dts);
    assertEquals(ImageEval.TP, es.state(0, 0, 0));
    assertEquals(ImageEval.FP, eb.state(0, 0, 0));
    assertEquals(ImageEval.IGNORED, es.state(0, 0, 1));
    assertEquals(ImageEval.IGNORED, eb.state(0, 0, 1));
  }

  @Test
  void aBadRatioIsRefused() {
    EvalParams p = EvalParams.defaults(IouType.BOUNDARY, new int[] {1});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.withBoundaryDilationRatio(0));
    assertTrue(e.getMessage().contains("dilation ratio") && e.getMessage().contains("> 0"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> p.withBoundaryDilationRatio(Double.NaN));
    assertEquals(IouType.BOUNDARY, IouType.parse(" Boundary "));
    assertEquals("boundary", IouType.BOUNDARY.cocoName());
  }
}
