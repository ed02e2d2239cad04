package io.sparkseg.job.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.errors.ErrorEvaluator;
import io.sparkseg.core.coco.errors.ErrorSummary;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import io.sparkseg.job.TestSpark;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The error analysis on Spark equals the single-machine one, and its AP50 the evaluation's. */
class DistributedErrorAnalysisTest {
  private static JavaSparkContext jsc;

  @BeforeAll
  static void start() {
    jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
  }

  @ParameterizedTest(name = "{0} {1} in {2} groups")
  @CsvSource({"c04_crowd_ties, SEGM, 3", "c08_moderate, BBOX, 5", "c08_moderate, SEGM, 1"})
  void sameAsSingleMachine(String c, IouType type, int partitions) throws Exception {
    CocoDataset gt = DistributedCocoEvalTest.gt(c);
    List<LoadedDetection> loaded = LoadRes.apply(gt, DistributedCocoEvalTest.dts(c), LoadRes.AreaSource.AUTO);
    EvalParams p = CocoEvaluator.defaultParams(gt, type);
    ErrorSummary local = ErrorEvaluator.analyse(gt, loaded, p);
    ErrorSummary distributed = DistributedErrorAnalysis.analyse(jsc, gt, jsc.parallelize(loaded, 4), p, partitions);
    assertEquals(local, distributed);
    double ap50 = EvalSummary.of(DistributedCocoEval.evaluate(jsc, gt, jsc.parallelize(loaded, 4), p, partitions))
        .stats()[1];
    assertEquals(ap50, distributed.ap50(), 0.0);
  }
}
