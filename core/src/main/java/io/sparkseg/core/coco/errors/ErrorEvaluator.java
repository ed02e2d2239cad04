package io.sparkseg.core.coco.errors;

import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoImage;
import io.sparkseg.core.coco.InParallel;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalDt;
import io.sparkseg.core.coco.eval.EvalInputs;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.LoadedDetection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Single-machine error analysis, the counterpart of {@link CocoEvaluator} (images in one process). */
public final class ErrorEvaluator {
  private ErrorEvaluator() {}

  /** Analyses detections that went through {@code LoadRes}, with the evaluation's parameters. */
  public static ErrorSummary analyse(CocoDataset gt, List<LoadedDetection> loaded, EvalParams p) {
    return analyse(gt, loaded, p, false);
  }

  /** As above; {@code parallel}: the images spread over the cores ({@link InParallel}; the same numbers). */
  public static ErrorSummary analyse(CocoDataset gt, List<LoadedDetection> loaded, EvalParams p, boolean parallel) {
    Map<Long, Map<Integer, List<EvalDt>>> dtsByImage = new HashMap<>();
    for (LoadedDetection d : loaded) {
      CocoImage img = gt.image(d.imageId());
      if (p.catIndex(d.categoryId()) < 0 || img == null) {
        continue; // CocoEvaluator reports a detection of an unknown image
      }
      dtsByImage.computeIfAbsent(d.imageId(), k -> new HashMap<>())
          .computeIfAbsent(d.categoryId(), k -> new ArrayList<>())
          .add(EvalInputs.dt(p.iouType(), d, img.height(), img.width()));
    }
    List<Long> ids = java.util.Arrays.stream(gt.imageIds()).boxed().toList();
    java.util.function.Function<Long, ImageErrors> analyse = id -> ImageErrorAnalysis.analyse(p, id,
        CocoEvaluator.groundTruth(gt, gt.image(id), p), dtsByImage.getOrDefault(id, Map.of()));
    List<ImageErrors> images = parallel ? InParallel.map(ids, analyse) : ids.stream().map(analyse).toList();
    Tally errors = new Tally();
    Tally confusion = new Tally();
    for (ImageErrors e : images) {
      errors.merge(e.errors());
      confusion.merge(e.confusion());
    }
    return ErrorSummary.of(p, ErrorFold.accumulations(images.iterator()), errors, confusion);
  }
}
