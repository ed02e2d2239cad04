package io.sparkseg.core.coco.errors;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each error type on a case whose answer is known, and the confusion matrix. */
class ErrorTypesTest {
  /** COCO's AP when precision is 1 at the first {@code pointsAtOne} of the 101 recall points and {@code rest} after. */
  private static double ap(int pointsAtOne, double rest) {
    return (pointsAtOne + (101 - pointsAtOne) * rest) / 101;
  }

  private static void only(ErrorSummary s, ErrorType type, long count, double dAp) {
    for (ErrorType t : ErrorType.values()) {
      assertEquals(t == type ? count : 0L, s.counts().get(t), t + " count");
      assertEquals(t == type ? dAp : 0.0, s.dAp().get(t), 1e-12, t + " dAP");
    }
  }

  @Test
  void wrongClassAtHighIouIsCls() {
    ErrorSummary s = new ErrorCases().gt(1, 1).dt(1, 2, 0.8, 0.9).analyse();
    assertEquals(0.0, s.ap50(), 0.0);
    only(s, ErrorType.CLS, 1, 1.0);
    assertEquals(1L, s.perCategory().get(1).counts().get(ErrorType.CLS) + s.perCategory().get(0).counts().get(ErrorType.CLS));
    ErrorSummary.CategoryErrors a = s.perCategory().get(0);
    assertEquals(1, a.categoryId());
    assertEquals(1.0, a.dAp().get(ErrorType.CLS), 1e-12); // category 1 gains the true positive
    assertEquals(-1.0, s.perCategory().get(1).ap50(), 0.0); // category 2 has no ground truth
  }

  @Test
  void secondDetectionOfAMatchedGroundTruthIsDupe() {
    // image 1: a true positive, then its duplicate; image 2: a true positive
    ErrorSummary s = new ErrorCases().images(2).gt(1, 1).gt(2, 1).dt(1, 1, 0.9, 0.9).dt(1, 1, 0.8, 0.8)
        .dt(2, 1, 1.0, 0.7).analyse();
    double original = ap(51, 2.0 / 3);
    assertEquals(original, s.ap50(), 1e-12);
    only(s, ErrorType.DUPE, 1, 1 - original);
  }

  @Test
  void detectionOverlappingNothingIsBkg() {
    ErrorSummary s = new ErrorCases().gt(1, 1).far(1, 1, 0.9).dt(1, 1, 1.0, 0.8).analyse();
    assertEquals(0.5, s.ap50(), 1e-12);
    only(s, ErrorType.BKG, 1, 0.5);
  }

  @Test
  void detectionInAnImageWithoutGroundTruthIsBkg() {
    ErrorSummary s = new ErrorCases().images(2).gt(1, 1).dt(2, 1, 1.0, 0.9).dt(1, 1, 1.0, 0.8).analyse();
    only(s, ErrorType.BKG, 1, 0.5);
  }

  @Test
  void groundTruthNothingPointsToIsMiss() {
    ErrorSummary s = new ErrorCases().images(2).gt(1, 1).gt(2, 1).dt(1, 1, 1.0, 0.9).analyse();
    assertEquals(51.0 / 101, s.ap50(), 1e-12);
    only(s, ErrorType.MISS, 1, 50.0 / 101);
  }

  @Test
  void rightClassAtLowIouIsLoc() {
    ErrorSummary s = new ErrorCases().gt(1, 1).dt(1, 1, 0.3, 0.9).analyse();
    assertEquals(0.0, s.ap50(), 0.0);
    only(s, ErrorType.LOC, 1, 1.0); // not a Miss: the Loc error points to the ground truth
  }

  @Test
  void wrongClassAtLowIouIsBoth() {
    // category 2: the Both error ranks above its one true positive (image 2)
    ErrorSummary s = new ErrorCases().images(2).gt(1, 1).gt(2, 2).dt(1, 2, 0.3, 0.9).dt(2, 2, 1.0, 0.5).analyse();
    assertEquals((0 + 0.5) / 2, s.ap50(), 1e-12);
    assertEquals(1L, s.counts().get(ErrorType.BOTH));
    assertEquals(0.25, s.dAp().get(ErrorType.BOTH), 1e-12);
    assertEquals(1L, s.counts().get(ErrorType.MISS)); // category 1's ground truth
    // the Miss fix leaves category 1 without ground truth: it stays in the mean with AP 0
    assertEquals(0.0, s.dAp().get(ErrorType.MISS), 0.0);
  }

  @Test
  void onlyTheBestScoredErrorPerGroundTruthIsFixed() {
    // two Loc errors on one ground truth: the fix gives one true positive, the other detection goes
    ErrorSummary s = new ErrorCases().gt(1, 1).dt(1, 1, 0.3, 0.9).dt(1, 1, 0.2, 0.8).analyse();
    only(s, ErrorType.LOC, 2, 1.0);
  }

  @Test
  void detectionOnACrowdRegionIsNoError() {
    ErrorSummary s = new ErrorCases().gt(1, 1).gt(1, 1, true).dt(1, 1, 1.0, 0.9).dt(1, 1, 1.0, 0.8).analyse();
    // the second detection matches the crowd region (COCO ignores it), not a duplicate
    assertEquals(1.0, s.ap50(), 1e-12);
    only(s, ErrorType.DUPE, 0, 0.0);
  }

  @Test
  void confusionMatrixCountsMatchesConfusionsBackgroundAndMisses() {
    ErrorSummary s = new ErrorCases().images(3).gt(1, 1).gt(2, 1).gt(3, 2)
        .dt(1, 1, 1.0, 0.9) // true positive (1, 1)
        .dt(1, 1, 0.9, 0.8) // duplicate: background column
        .dt(2, 2, 0.8, 0.7) // predicted 2 on a 1: (1, 2)
        .far(3, 1, 0.6) // background
        .analyse(); // image 3's ground truth of 2: missed
    Map<String, Long> cells = new java.util.TreeMap<>();
    s.confusion().forEach(c -> cells.put(c.gtCategory() + "," + c.predictedCategory(), c.count()));
    assertEquals(Map.of("1,1", 1L, "-1,1", 2L, "1,2", 1L, "2,-1", 1L), cells);
  }
}
