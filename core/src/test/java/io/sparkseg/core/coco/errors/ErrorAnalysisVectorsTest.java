package io.sparkseg.core.coco.errors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoJsonReader;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.ImageEval;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import io.sparkseg.core.testing.CocoVectors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * On every coco-vectors case (crowd regions, score ties, the maxDets cut, area edges), bbox and
 * segm: the analysis' original AP50 is the evaluation's AP50 to the last bit, every false positive
 * at IoU 0.5 gets exactly one error type, and no fix lowers AP.
 */
class ErrorAnalysisVectorsTest {
  static Stream<Arguments> cases() throws IOException {
    try (Stream<Path> dirs = Files.list(CocoVectors.dir())) {
      return dirs.filter(d -> Files.isRegularFile(d.resolve("gt.json")) && Files.isRegularFile(d.resolve("dt.json")))
          .map(d -> d.getFileName().toString()).sorted()
          .flatMap(c -> Stream.of(Arguments.of(c, IouType.BBOX), Arguments.of(c, IouType.SEGM))).toList().stream();
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void originalAp50IsTheEvaluationsAndEveryFalsePositiveHasOneType(String c, IouType type) throws IOException {
    CocoDataset gt;
    List<CocoDetection> dts;
    try (InputStream in = Files.newInputStream(CocoVectors.file(c).resolve("gt.json"))) {
      gt = CocoJsonReader.readDataset(in);
    }
    try (InputStream in = Files.newInputStream(CocoVectors.file(c).resolve("dt.json"))) {
      dts = CocoJsonReader.readResults(in);
    }
    EvalParams p = CocoEvaluator.defaultParams(gt, type);
    List<LoadedDetection> loaded = LoadRes.apply(gt, dts, LoadRes.AreaSource.AUTO);
    List<ImageEval> evals = CocoEvaluator.evaluateImages(gt, loaded, p);
    double ap50 = EvalSummary.of(CocoEvaluator.accumulate(p, evals)).stats()[1];
    ErrorSummary s = ErrorEvaluator.analyse(gt, loaded, p);
    assertEquals(ap50, s.ap50(), 0.0, "AP50");
    long falsePositives = 0;
    int all = p.areaIndex("all");
    for (ImageEval e : evals) {
      for (int d = 0; d < e.detectionCount(); d++) {
        falsePositives += e.state(all, 0, d) == ImageEval.FP ? 1 : 0;
      }
    }
    long typed = s.counts().entrySet().stream().filter(e -> e.getKey() != ErrorType.MISS)
        .mapToLong(java.util.Map.Entry::getValue).sum();
    assertEquals(falsePositives, typed, "false positives with a type");
    s.dAp().forEach((t, v) -> assertTrue(v >= 0 && v <= 1 - ap50 + 1e-12, t + " dAP " + v));
    long confused = s.confusion().stream().filter(x -> x.predictedCategory() != ErrorSummary.BACKGROUND)
        .mapToLong(ErrorSummary.ConfusionCell::count).sum();
    long kept = 0;
    for (ImageEval e : evals) {
      for (int d = 0; d < e.detectionCount(); d++) {
        kept += e.state(all, 0, d) != ImageEval.IGNORED ? 1 : 0;
      }
    }
    assertEquals(kept, confused, "every counted detection is in one confusion cell");
  }
}
