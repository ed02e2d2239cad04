package io.sparkseg.job.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.mask.MaskBoundary;
import io.sparkseg.job.cli.EvaluateCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code evaluate --iou-types boundary}: both engines, the summary JSON, the printout and the options. */
class BoundaryEvaluationTest {
  private static SparkSession spark;
  private static boolean created;
  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void start() {
    created = SparkSession.getDefaultSession().isEmpty() || SparkSession.getDefaultSession().get().sparkContext().isStopped();
    spark = SparkSession.builder().master("local[2]").appName("BoundaryEvaluationTest")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (created) {
      spark.stop();
    }
  }

  private static EvaluateOptions options(String c, Path summary, EvaluateOptions.Engine engine, double ratio) {
    Path dir = DistributedCocoEvalTest.caseDir(c);
    return new EvaluateOptions(dir.resolve("gt.json").toString(), dir.resolve("dt.json").toString(), "auto", null,
        List.of(IouType.SEGM, IouType.BOUNDARY), LoadRes.AreaSource.AUTO, null, summary.toString(), 3,
        EvaluateOptions.SegmScore.AUTO, true, engine, ratio);
  }

  private static double[] stats(JsonNode summary, String type) {
    JsonNode s = summary.get(type).get("stats");
    double[] out = new double[s.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = s.get(i).asDouble();
    }
    return out;
  }

  @Test
  void bothEnginesGiveCoresNumbers(@TempDir Path tmp) throws Exception {
    for (String c : List.of("c04_crowd_ties", "c06_area_edges")) {
      CocoDataset gt = DistributedCocoEvalTest.gt(c);
      double[] atDefault = null;
      for (double ratio : new double[] {MaskBoundary.DEFAULT_DILATION_RATIO, 0.05}) {
        String what = c + " at " + ratio;
        Path local = tmp.resolve(c + ratio + "-local.json");
        Path onSpark = tmp.resolve(c + ratio + "-spark.json");
        ByteArrayOutputStream localOut = new ByteArrayOutputStream();
        ByteArrayOutputStream sparkOut = new ByteArrayOutputStream();
        LocalEvaluation.run(options(c, local, EvaluateOptions.Engine.LOCAL, ratio),
            new PrintStream(localOut, true, StandardCharsets.UTF_8));
        EvaluateJob.run(spark, options(c, onSpark, EvaluateOptions.Engine.SPARK, ratio),
            new PrintStream(sparkOut, true, StandardCharsets.UTF_8));
        JsonNode ls = JSON.readTree(local.toFile());
        assertEquals(JSON.readTree(onSpark.toFile()), ls, what + ": summary JSON");
        String printed = localOut.toString(StandardCharsets.UTF_8);
        assertEquals(sparkOut.toString(StandardCharsets.UTF_8), printed, what);
        assertTrue(printed.contains("Evaluate annotation type *boundary*"), printed);
        double[] boundary = stats(ls, "boundary");
        EvalParams p = CocoEvaluator.defaultParams(gt, IouType.BOUNDARY).withBoundaryDilationRatio(ratio);
        double[] core = EvalSummary.of(CocoEvaluator.evaluate(gt, DistributedCocoEvalTest.dts(c), p,
            LoadRes.AreaSource.AUTO)).stats();
        org.junit.jupiter.api.Assertions.assertArrayEquals(core, boundary, 0.0, what);
        assertEquals(12, boundary.length);
        assertEquals(boundary[0], ls.get("boundary").get("stat_names").get("AP").asDouble(), 0.0);
        assertTrue(ls.get("boundary").get("per_category").size() > 0, what);
        assertTrue(ls.get("segm").has("errors") && !ls.get("boundary").has("errors"),
            what + ": the error analysis is bbox and segm only");
        assertTrue(boundary[0] < stats(ls, "segm")[0], what + ": boundary is the stricter measure");
        if (atDefault == null) {
          atDefault = boundary;
        } else {
          assertNotEquals(atDefault[0], boundary[0], what + ": the ratio changes the numbers");
        }
      }
    }
  }

  @Test
  void wideBoundariesGiveTheSegmNumbers(@TempDir Path tmp) throws Exception {
    Path summary = tmp.resolve("wide.json");
    LocalEvaluation.run(options("c02_small_mixed", summary, EvaluateOptions.Engine.LOCAL, 5.0), null);
    JsonNode s = JSON.readTree(summary.toFile());
    org.junit.jupiter.api.Assertions.assertArrayEquals(stats(s, "segm"), stats(s, "boundary"), 0.0);
  }

  private static int execute(StringWriter err, String... args) {
    return new CommandLine(new EvaluateCommand()).setErr(new PrintWriter(err)).execute(args);
  }

  @Test
  void commandLine(@TempDir Path tmp) throws Exception {
    Path dir = DistributedCocoEvalTest.caseDir("c01_tiny");
    String gt = dir.resolve("gt.json").toString();
    String dt = dir.resolve("dt.json").toString();
    for (String bad : List.of("0", "-0.5", "abc", "NaN", "Infinity")) {
      StringWriter err = new StringWriter();
      assertEquals(2, execute(err, "--ground-truth", gt, "--detections", dt, "--iou-types", "boundary",
          "--boundary-dilation-ratio", bad), bad);
      String msg = err.toString();
      assertTrue(msg.contains("--boundary-dilation-ratio must be a number > 0") && msg.contains("got '" + bad + "'"),
          msg);
      if (bad.equals("abc")) {
        assertTrue(msg.contains("not a number"), msg);
      }
    }
    Path asked = tmp.resolve("asked.json");
    assertEquals(0, execute(new StringWriter(), "--ground-truth", gt, "--detections", dt, "--engine", "local",
        "--iou-types", "segm,boundary", "--boundary-dilation-ratio", "0.03", "--summary-json", asked.toString()));
    JsonNode s = JSON.readTree(asked.toFile());
    assertEquals(12, s.get("boundary").get("stats").size());
    assertEquals("score", s.get("boundary").get("ranked_by").asText());
    Path byDefault = tmp.resolve("default.json");
    assertEquals(0, execute(new StringWriter(), "--ground-truth", gt, "--detections", dt, "--engine", "local",
        "--summary-json", byDefault.toString()));
    JsonNode d = JSON.readTree(byDefault.toFile());
    assertTrue(d.has("bbox") && d.has("segm"), d.toString());
    assertFalse(d.has("boundary"), "boundary only when asked for");
  }
}
