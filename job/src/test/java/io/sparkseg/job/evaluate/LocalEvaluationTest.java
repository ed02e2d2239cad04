package io.sparkseg.job.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evaluate --engine local} prints and writes what the Spark engine prints and writes (the
 * stats, per-category results and error analysis of every iouType), and fails with its messages.
 */
class LocalEvaluationTest {
  private static SparkSession spark;
  private static boolean created;

  @BeforeAll
  static void start() {
    created = SparkSession.getDefaultSession().isEmpty() || SparkSession.getDefaultSession().get().sparkContext().isStopped();
    spark = SparkSession.builder().master("local[2]").appName("LocalEvaluationTest")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (created) {
      spark.stop();
    }
  }

  private static EvaluateOptions options(String c, List<IouType> types, Path summary, EvaluateOptions.Engine engine) {
    Path dir = DistributedCocoEvalTest.caseDir(c);
    return new EvaluateOptions(dir.resolve("gt.json").toString(), dir.resolve("dt.json").toString(), "auto", null,
        types, LoadRes.AreaSource.AUTO, null, summary.toString(), 3, EvaluateOptions.SegmScore.AUTO, true, engine);
  }

  @Test
  void sameSummaryAndPrintoutAsSpark(@TempDir Path tmp) throws Exception {
    ObjectMapper json = new ObjectMapper();
    for (String c : List.of("c02_small_mixed", "c03_three_cats_kp", "c04_crowd_ties", "c05_maxdets")) {
      for (List<IouType> types : List.of(List.<IouType>of(), List.of(IouType.KEYPOINTS), List.of(IouType.SEGM))) {
        String what = c + " " + types;
        Path local = tmp.resolve(c + types.size() + "-local.json");
        Path onSpark = tmp.resolve(c + types.size() + "-spark.json");
        ByteArrayOutputStream localOut = new ByteArrayOutputStream();
        ByteArrayOutputStream sparkOut = new ByteArrayOutputStream();
        EvaluateOptions lo = options(c, types, local, EvaluateOptions.Engine.LOCAL);
        if (types.contains(IouType.KEYPOINTS) && DistributedCocoEvalTest.gt(c).keypointCategoryIds().length == 0) {
          continue;
        }
        EvaluateJob.Outcome l = LocalEvaluation.run(lo, new PrintStream(localOut, true, StandardCharsets.UTF_8));
        EvaluateJob.Outcome s = EvaluateJob.run(spark, options(c, types, onSpark, EvaluateOptions.Engine.SPARK),
            new PrintStream(sparkOut, true, StandardCharsets.UTF_8));
        assertEquals(s.results().keySet(), l.results().keySet(), what);
        assertFalse(l.results().isEmpty(), what);
        JsonNode ls = json.readTree(local.toFile());
        JsonNode ss = json.readTree(onSpark.toFile());
        assertEquals(ss, ls, what + ": summary JSON (stats, per category, errors)");
        assertEquals(sparkOut.toString(StandardCharsets.UTF_8), localOut.toString(StandardCharsets.UTF_8), what);
        if (types.isEmpty()) {
          JsonNode expected = DistributedCocoEvalTest.expected(c);
          assertEquals(expected.get("bbox").get("stats").get(0).asDouble(), ls.get("bbox").get("stats").get(0).asDouble(),
              1e-9, what + ": pycocotools' AP");
          assertTrue(ls.get("bbox").has("errors"), what);
        }
      }
    }
  }

  @Test
  void badInputFailsWithTheSparkEnginesMessage(@TempDir Path tmp) throws Exception {
    Path dir = DistributedCocoEvalTest.caseDir("c02_small_mixed");
    String dts = Files.readString(dir.resolve("dt.json"));
    Path unknown = tmp.resolve("unknown.json");
    int first = dts.indexOf("\"image_id\":");
    int end = dts.indexOf(',', first);
    Files.writeString(unknown, dts.substring(0, first) + "\"image_id\":987654" + dts.substring(end));
    EvaluateOptions o = new EvaluateOptions(dir.resolve("gt.json").toString(), unknown.toString(), "auto", null,
        List.of(), LoadRes.AreaSource.AUTO, null, null, 2, EvaluateOptions.SegmScore.AUTO, false,
        EvaluateOptions.Engine.LOCAL);
    String local = assertThrows(IllegalArgumentException.class, () -> LocalEvaluation.run(o, null)).getMessage();
    assertEquals("Results do not correspond to current coco set: detection #0 has image_id 987654, which is not in "
        + "the ground truth", local);
    String onSpark = assertThrows(IllegalArgumentException.class, () -> EvaluateJob.run(spark, o, null)).getMessage();
    assertEquals(onSpark, local);
  }

  /**
   * A keypoints evaluation reads only the categories with keypoints, yet like pycocotools' loadRes it
   * checks every detection's image: one of another category on an unknown image fails it, on both
   * engines, naming that detection.
   */
  @Test
  void everyDetectionsImageIsCheckedWhateverItsCategory(@TempDir Path tmp) throws Exception {
    Path dir = DistributedCocoEvalTest.caseDir("c03_three_cats_kp");
    String dts = Files.readString(dir.resolve("dt.json"));
    // detection #1 is of category 3, which has no keypoints
    int second = dts.indexOf("\"image_id\":", dts.indexOf("\"image_id\":") + 1);
    int end = dts.indexOf(',', second);
    Path unknown = tmp.resolve("unknown.json");
    Files.writeString(unknown, dts.substring(0, second) + "\"image_id\":987654" + dts.substring(end));
    assertTrue(dts.substring(second).replace(" ", "").matches("(?s)\"image_id\":\\d+,\"category_id\":3.*"),
        "the edited detection is of category 3");
    EvaluateOptions o = new EvaluateOptions(dir.resolve("gt.json").toString(), unknown.toString(), "auto", null,
        List.of(IouType.KEYPOINTS), LoadRes.AreaSource.AUTO, null, null, 2, EvaluateOptions.SegmScore.AUTO, false,
        EvaluateOptions.Engine.LOCAL);
    String expected = "Results do not correspond to current coco set: detection #1 has image_id 987654, which is not "
        + "in the ground truth";
    assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> LocalEvaluation.run(o, null)).getMessage());
    assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> EvaluateJob.run(spark, o, null)).getMessage());
  }

  /**
   * The ground truth is parsed beside the results: a bad one is still what the evaluation reports,
   * whichever types are asked for (a keypoints-only run reads its categories first) and even when
   * the results are bad too.
   */
  @Test
  void aBadGroundTruthIsReportedBeforeBadResults(@TempDir Path tmp) throws Exception {
    Path dir = DistributedCocoEvalTest.caseDir("c02_small_mixed");
    String gt = Files.readString(dir.resolve("gt.json"));
    Path truncated = tmp.resolve("truncated.json");
    Files.writeString(truncated, gt.substring(0, gt.length() / 2));
    Path badAnnotation = tmp.resolve("bad-annotation.json");
    int at = gt.indexOf("\"category_id\":", gt.indexOf("\"annotations\""));
    Files.writeString(badAnnotation, gt.substring(0, at) + "\"category_id\":\"cat\"" + gt.substring(gt.indexOf(',', at)));
    Path badResults = tmp.resolve("bad-results.json");
    Files.writeString(badResults, "[{\"image_id\": 987654, \"category_id\": 1, \"score\": 0.5, \"bbox\": [0, 0, 1, 1]}]");
    for (Path badGt : List.of(truncated, badAnnotation)) {
      String expected;
      try (java.io.InputStream in = Files.newInputStream(badGt)) {
        expected = assertThrows(io.sparkseg.core.coco.CocoFormatException.class,
            () -> io.sparkseg.core.coco.CocoJsonReader.readDataset(in)).getMessage();
      }
      for (List<IouType> types : List.of(List.<IouType>of(), List.of(IouType.KEYPOINTS), List.of(IouType.BBOX))) {
        for (Path results : List.of(dir.resolve("dt.json"), badResults)) {
          EvaluateOptions o = new EvaluateOptions(badGt.toString(), results.toString(), "auto", null, types,
              LoadRes.AreaSource.AUTO, null, null, 2, EvaluateOptions.SegmScore.AUTO, false,
              EvaluateOptions.Engine.LOCAL);
          String got = assertThrows(io.sparkseg.core.coco.CocoFormatException.class, () -> LocalEvaluation.run(o, null),
              badGt.getFileName() + " " + types + " " + results.getFileName()).getMessage();
          assertEquals(expected, got, badGt.getFileName() + " " + types + " " + results.getFileName());
        }
      }
    }
  }

  @Test
  void engineChoice() {
    long heap = 8L << 30;
    EvaluateOptions json = options("c01_tiny", List.of(), Path.of("s.json"), EvaluateOptions.Engine.AUTO);
    assertTrue(json.inProcess("local[*]", 1 << 20, heap));
    assertFalse(json.inProcess("yarn", 1 << 20, heap), "a cluster's master: Spark");
    assertFalse(json.inProcess("local[2]", heap, heap), "files too large for the heap: Spark");
    assertFalse(json.inProcess("local[2]", -1, heap), "sizes unknown: Spark");
    EvaluateOptions table = new EvaluateOptions("gt.json", "out/instances", "auto", null, List.of(),
        LoadRes.AreaSource.AUTO, null, null, 0, EvaluateOptions.SegmScore.AUTO, true, EvaluateOptions.Engine.AUTO);
    assertFalse(table.inProcess("local[*]", 1 << 20, heap), "a table: Spark");
    EvaluateOptions remote = new EvaluateOptions("s3a://b/gt.json", "s3a://b/dt.json", "auto", null, List.of(),
        LoadRes.AreaSource.AUTO, null, null, 0, EvaluateOptions.SegmScore.AUTO, true, EvaluateOptions.Engine.AUTO);
    assertFalse(remote.inProcess("local[*]", 1 << 20, heap), "files on S3: Spark");
    EvaluateOptions tables = new EvaluateOptions("gt.json", "dt.json", "auto", null, List.of(),
        LoadRes.AreaSource.AUTO, "eval-out", null, 0, EvaluateOptions.SegmScore.AUTO, true, EvaluateOptions.Engine.LOCAL);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> tables.inProcess("local[*]", 1 << 20, heap));
    assertEquals("--engine local cannot run here: --output writes tables, which Spark writes (use --engine spark)",
        e.getMessage());
    assertFalse(options("c01_tiny", List.of(), Path.of("s.json"), EvaluateOptions.Engine.SPARK)
        .inProcess("local[*]", 1, heap));
  }
}
