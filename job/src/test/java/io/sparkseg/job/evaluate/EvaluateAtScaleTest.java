package io.sparkseg.job.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoJsonWriter;
import io.sparkseg.core.coco.CocoJsonReader;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.job.cli.bench.TaskSizes;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evaluate} reads both inputs on the executors: with the ground truth JSON in several
 * chunks and the detections in a Parquet table of several files, or in a results JSON of many
 * byte ranges, it gives the single-machine evaluator's numbers, and no task carries detections
 * from or to the driver (the task, broadcast and result sizes Spark reports stay far below the
 * detections' size).
 */
class EvaluateAtScaleTest {
  private static final List<IouType> TYPES = List.of(IouType.BBOX, IouType.SEGM);
  private static SparkSession spark;
  private static boolean created;
  @TempDir static Path tmp;
  private static Path gtFile;
  private static Path dtFile;
  private static Map<IouType, double[]> reference;

  @BeforeAll
  static void start() throws Exception {
    created = SparkSession.getDefaultSession().isEmpty() || SparkSession.getDefaultSession().get().sparkContext().isStopped();
    spark = SparkSession.builder().master("local[2]").appName("EvaluateAtScaleTest")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
    SyntheticEvalCase.Case c = SyntheticEvalCase.generate(300, 1800, 9000, 31L);
    gtFile = tmp.resolve("gt.json");
    dtFile = tmp.resolve("dt.json");
    try (OutputStream out = Files.newOutputStream(gtFile)) {
      CocoJsonWriter.write(out, c.groundTruth());
    }
    try (OutputStream out = Files.newOutputStream(dtFile)) {
      CocoJsonWriter.write(out, c.detections());
    }
    // the reference: the single-machine evaluator on the files read in one piece
    CocoDataset gt;
    List<CocoDetection> dts;
    try (InputStream in = Files.newInputStream(gtFile)) {
      gt = CocoJsonReader.readDataset(in);
    }
    try (InputStream in = Files.newInputStream(dtFile)) {
      dts = CocoJsonReader.readResults(in);
    }
    reference = Map.of(IouType.BBOX, EvalSummary.of(CocoEvaluator.evaluate(gt, dts, IouType.BBOX)).stats(),
        IouType.SEGM, EvalSummary.of(CocoEvaluator.evaluate(gt, dts, IouType.SEGM)).stats());
  }

  @AfterAll
  static void stop() {
    spark.conf().unset("spark.sql.files.maxPartitionBytes");
    spark.conf().unset("spark.sql.files.openCostInBytes");
    if (created) {
      spark.stop();
    }
  }

  private static TaskSizes evaluate(String detections, String format, long splitBytes) throws Exception {
    spark.conf().set("spark.sql.files.maxPartitionBytes", Long.toString(splitBytes));
    spark.conf().set("spark.sql.files.openCostInBytes", "0");
    TaskSizes sizes = new TaskSizes();
    spark.sparkContext().addSparkListener(sizes);
    EvaluateJob.Outcome out;
    try {
      out = EvaluateJob.run(spark, new EvaluateOptions(gtFile.toUri().toString(), detections, format, null, TYPES,
          LoadRes.AreaSource.AUTO, null, null, 3, EvaluateOptions.SegmScore.AUTO), null);
    } finally {
      spark.sparkContext().listenerBus().waitUntilEmpty();
      spark.sparkContext().removeSparkListener(sizes);
    }
    for (IouType t : TYPES) {
      assertArrayEquals(reference.get(t), out.results().get(t).stats(), 0.0, format + " " + t + ": same stats as core");
    }
    long dtBytes = Files.size(dtFile);
    System.out.println(format + ": detections JSON " + dtBytes + " bytes; " + sizes.summary());
    assertTrue(sizes.tasks() > 10, sizes.summary());
    assertTrue(sizes.largestTask() < dtBytes / 100, "a task carries data from the driver: " + sizes.summary());
    assertTrue(sizes.largestBroadcast() < dtBytes / 10, "a broadcast carries data from the driver: " + sizes.summary());
    // per category, precision and scores at every threshold: a fixed size, however many detections
    assertTrue(sizes.largestResult() < dtBytes / 4, "a task result carries detections: " + sizes.summary());
    return sizes;
  }

  @Test
  void instancesTableOfSeveralFiles() throws Exception {
    Path one = tmp.resolve("instances-one");
    Path table = tmp.resolve("instances");
    EvaluateBench.writeInstances(spark, SyntheticEvalCase.generate(300, 1800, 9000, 31L), one.toString(),
        org.apache.spark.sql.SaveMode.Overwrite);
    spark.read().parquet(one.toString()).repartition(5).write().parquet(table.toString());
    evaluate(table.toUri().toString(), "parquet", 64 * 1024);
  }

  @Test
  void resultsJsonInManyRanges() throws Exception {
    long split = Files.size(dtFile) / 40;
    evaluate(dtFile.toUri().toString(), "json", split);
  }
}
