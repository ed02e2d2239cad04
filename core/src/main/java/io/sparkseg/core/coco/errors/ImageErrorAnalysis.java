package io.sparkseg.core.coco.errors;

import io.sparkseg.core.coco.eval.EvalDt;
import io.sparkseg.core.coco.eval.EvalGt;
import io.sparkseg.core.coco.eval.EvalParams;
import java.util.List;
import java.util.Map;

/**
 * The per-image step of the error analysis, a pure function of one image's ground truth and
 * detections (as {@link io.sparkseg.core.coco.eval.CocoEvaluator#evaluateImage} takes them), so it
 * runs where the image is evaluated.
 */
public final class ImageErrorAnalysis {
  private ImageErrorAnalysis() {}

  /**
   * Analyses one image.
   *
   * @param p the evaluation's parameters (bbox or segm)
   */
  public static ImageErrors analyse(EvalParams p, long imageId, Map<Integer, List<EvalGt>> gts,
      Map<Integer, List<EvalDt>> dts) {
    ImageMatch m = ImageMatch.of(p, ErrorThresholds.FOREGROUND, gts, dts);
    ErrorClassifier c = ErrorClassifier.of(m);
    Tally errors = new Tally();
    for (int d = 0; d < m.det.length; d++) {
      if (c.type[d] != null) {
        errors.add(c.type[d].ordinal(), m.detCat[d]);
      }
    }
    for (int g = 0; g < m.gt.length; g++) {
      if (c.missed[g]) {
        errors.add(ErrorType.MISS.ordinal(), m.gtCat[g]);
      }
    }
    Tally confusion = new Tally();
    ImageConfusion.count(m, confusion);
    return new ImageErrors(OracleFixes.of(imageId, m, c), errors, confusion);
  }
}
