package io.sparkseg.job.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoJsonReader;
import io.sparkseg.core.coco.Segmentation;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.EvalResult;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import io.sparkseg.job.cli.EvaluateCommand;
import io.sparkseg.tables.EvalTables;
import io.sparkseg.tables.InstancesTable;
import io.sparkseg.tables.Tables;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The Spark evaluation gives the single-machine (and pycocotools') numbers. */
class DistributedCocoEvalTest {
  private static SparkSession spark;
  private static JavaSparkContext jsc;
  private static boolean created;

  @BeforeAll
  static void start() {
    // reuse a session another test class started (and leave it running), else start local[2]
    created = SparkSession.getDefaultSession().isEmpty() || SparkSession.getDefaultSession().get().sparkContext().isStopped();
    spark = SparkSession.builder().master("local[2]").appName("DistributedCocoEvalTest")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stop() {
    if (created) {
      spark.stop();
    }
  }

  static Path caseDir(String c) {
    return TestVectors.dir().resolve(c);
  }

  static CocoDataset gt(String c) throws Exception {
    try (InputStream in = Files.newInputStream(caseDir(c).resolve("gt.json"))) {
      return CocoJsonReader.readDataset(in);
    }
  }

  static List<CocoDetection> dts(String c) throws Exception {
    try (InputStream in = Files.newInputStream(caseDir(c).resolve("dt.json"))) {
      return CocoJsonReader.readResults(in);
    }
  }

  static JsonNode expected(String c) throws Exception {
    return new ObjectMapper().readTree(caseDir(c).resolve("expected.json").toFile());
  }

  @Test
  void sameNumbersAsSingleMachineAndPycocotools() throws Exception {
    String c = "c03_three_cats_kp";
    CocoDataset gt = gt(c);
    List<CocoDetection> dts = dts(c);
    JsonNode exp = expected(c);
    for (IouType type : IouType.values()) {
      EvalParams p = CocoEvaluator.defaultParams(gt, type);
      List<LoadedDetection> loaded = LoadRes.apply(gt, dts, LoadRes.AreaSource.AUTO);
      EvalResult single = CocoEvaluator.evaluateLoaded(gt, loaded, p);
      EvalResult dist = DistributedCocoEval.evaluate(jsc, gt, jsc.parallelize(loaded, 3), p, 5);
      double[] s1 = EvalSummary.of(single).stats();
      double[] s2 = EvalSummary.of(dist).stats();
      assertArrayEquals(s1, s2, 0.0, type + ": Spark and single-machine stats differ");
      for (int t = 0; t < p.iouThrCount(); t++) {
        for (int r = 0; r < p.recThrCount(); r++) {
          for (int k = 0; k < p.catCount(); k++) {
            for (int a = 0; a < p.areaCount(); a++) {
              for (int m = 0; m < p.maxDetCount(); m++) {
                assertEquals(single.precision(t, r, k, a, m), dist.precision(t, r, k, a, m), 0.0);
              }
            }
          }
        }
      }
      if (type == IouType.BOUNDARY) {
        continue; // pycocotools has no boundary: BoundaryEvalTest checks it against segm
      }
      JsonNode es = exp.get(type.cocoName()).get("stats");
      for (int i = 0; i < s2.length; i++) {
        assertEquals(es.get(i).asDouble(), s2[i], 1e-9, type + " stats[" + i + "]");
      }
    }
  }

  /** The c02 detections as a run's instances table (instance_index in file order per image). */
  static Dataset<Row> instancesTable(List<CocoDetection> dts, String runId) {
    return instancesTable(dts, runId, false);
  }

  /**
   * Detections as a run's instances table; with {@code maskScored} the file's scores go to a
   * {@code mask_score} column and {@code score} ranks the other way round (1 - score).
   */
  static Dataset<Row> instancesTable(List<CocoDetection> dts, String runId, boolean maskScored) {
    StructType schema = maskScored ? InstancesTable.SCHEMA : Tables.without(InstancesTable.SCHEMA, InstancesTable.MASK_SCORE);
    Map<Long, Integer> next = new HashMap<>();
    List<Row> rows = new ArrayList<>();
    for (CocoDetection d : dts) {
      int idx = next.merge(d.imageId(), 1, Integer::sum) - 1;
      var rle = ((Segmentation.RleMask) d.segmentation()).rle();
      List<Row> kps = null;
      if (d.keypoints() != null) {
        kps = new ArrayList<>();
        for (int i = 0; i < d.keypoints().length; i += 3) {
          kps.add(RowFactory.create((float) d.keypoints()[i], (float) d.keypoints()[i + 1], (float) d.keypoints()[i + 2]));
        }
      }
      double[] b = d.bbox();
      List<Object> row = new ArrayList<>(List.of(d.imageId(), idx, d.categoryId(), "c" + d.categoryId(),
          maskScored ? 1f - (float) d.score() : (float) d.score(), RowFactory.create(b[0], b[1], b[2], b[3]),
          RowFactory.create(rle.height(), rle.width(), rle.toCompressedString()), rle.area()));
      if (maskScored) {
        row.add((float) d.score());
      }
      row.add(kps);
      row.addAll(List.of("m", "1", runId));
      rows.add(RowFactory.create(row.toArray()));
    }
    return spark.createDataFrame(rows, schema);
  }

  @Test
  void evaluateJobOnInstancesTableWritesSummaryAndTables(@TempDir Path tmp) throws Exception {
    String c = "c02_small_mixed";
    Path table = tmp.resolve("out/instances");
    instancesTable(dts(c), "run-a").union(instancesTable(dts("c01_tiny"), "run-b"))
        .write().partitionBy("run_id").parquet(table.toUri().toString());
    Path summary = tmp.resolve("summary.json");
    EvaluateOptions o = new EvaluateOptions(caseDir(c).resolve("gt.json").toUri().toString(),
        tmp.resolve("out").toUri().toString(), "parquet", "run-a", List.of(), LoadRes.AreaSource.AUTO,
        tmp.resolve("eval").toUri().toString(), summary.toUri().toString(), 3, EvaluateOptions.SegmScore.AUTO);
    EvaluateJob.Outcome out = EvaluateJob.run(spark, o, System.out);
    assertEquals("run-a", out.runId());
    assertEquals(List.of(IouType.BBOX, IouType.SEGM, IouType.KEYPOINTS), List.copyOf(out.results().keySet()));
    JsonNode exp = expected(c);
    JsonNode written = new ObjectMapper().readTree(summary.toFile());
    for (IouType t : List.of(IouType.BBOX, IouType.SEGM)) {
      JsonNode es = exp.get(t.cocoName()).get("stats");
      JsonNode ws = written.get(t.cocoName()).get("stats");
      assertEquals(12, ws.size());
      for (int i = 0; i < 12; i++) {
        assertEquals(es.get(i).asDouble(), ws.get(i).asDouble(), 1e-9, t + " stats[" + i + "]");
      }
      JsonNode ep = exp.get(t.cocoName()).get("per_category_all_area_maxdet_last");
      ep.fields().forEachRemaining(e -> assertEquals(e.getValue().get("AP").asDouble(),
          written.get(t.cocoName()).get("per_category").get(e.getKey()).get("AP").asDouble(), 1e-9));
    }
    assertEquals(10, written.get("keypoints").get("stats").size());
    String eval = tmp.resolve("eval").toUri().toString();
    Dataset<Row> stats = spark.read().parquet(EvalOutputs.tablePath(eval, EvalTables.SUMMARY));
    assertEquals(12 + 12 + 10, stats.filter("run_id = 'run-a'").count());
    double ap = stats.filter("run_id = 'run-a' and iou_type = 'segm' and stat_name = 'AP'").first().getDouble(3);
    assertEquals(exp.get("segm").get("stats").get(0).asDouble(), ap, 1e-9);
    Dataset<Row> curves = spark.read().parquet(EvalOutputs.tablePath(eval, EvalTables.PR_CURVES));
    assertEquals(4L * 4 * 10 * 101 * 2 + 1L * 3 * 10 * 101, curves.count());
    assertTrue(spark.read().parquet(EvalOutputs.tablePath(eval, EvalTables.PER_CATEGORY)).count() > 0);
    // the error analysis of bbox and segm: in the JSON, and in eval_errors / eval_confusion
    assertEquals(null, written.get("keypoints").get("errors"));
    Dataset<Row> errors = spark.read().parquet(EvalOutputs.tablePath(eval, EvalTables.ERRORS)).filter("run_id = 'run-a'");
    Dataset<Row> confusion =
        spark.read().parquet(EvalOutputs.tablePath(eval, EvalTables.CONFUSION)).filter("run_id = 'run-a'");
    for (IouType t : List.of(IouType.BBOX, IouType.SEGM)) {
      JsonNode e = written.get(t.cocoName()).get("errors");
      assertEquals(written.get(t.cocoName()).get("stats").get(1).asDouble(), e.get("AP50").asDouble(), 0.0);
      assertEquals(List.of("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss"), iterable(e.get("dAP").fieldNames()));
      assertEquals(out.errors().get(t).dAp().get(io.sparkseg.core.coco.errors.ErrorType.LOC),
          e.get("dAP").get("Loc").asDouble(), 0.0);
      Dataset<Row> overall = errors.filter("iou_type = '" + t.cocoName() + "' AND category_id IS NULL");
      assertEquals(6, overall.count());
      assertEquals(e.get("counts").get("Bkg").asLong(),
          overall.filter("error_type = 'Bkg'").first().getLong(overall.schema().fieldIndex(EvalTables.COUNT)));
      long cells = 0;
      for (JsonNode cell : e.get("confusion")) {
        cells += cell.get("count").asLong();
      }
      assertEquals(cells, confusion.filter("iou_type = '" + t.cocoName() + "'").agg(org.apache.spark.sql.functions
          .sum(EvalTables.COUNT)).first().getLong(0));
    }
  }

  private static List<String> iterable(java.util.Iterator<String> it) {
    List<String> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  @Test
  void segmRanksMasksByMaskScoreWhenTheTableHasIt(@TempDir Path tmp) throws Exception {
    String c = "c02_small_mixed";
    Path table = tmp.resolve("out/instances");
    instancesTable(dts(c), "run-m", true).write().partitionBy("run_id").parquet(table.toUri().toString());
    // a run from before mask_score in the same table: the column must still be found for run-m
    instancesTable(dts(c), "run-a").write().mode("append").partitionBy("run_id").parquet(table.toUri().toString());
    JsonNode exp = expected(c);
    Path summary = tmp.resolve("auto.json");
    EvaluateJob.Outcome auto = EvaluateJob.run(spark, options(c, tmp, summary, EvaluateOptions.SegmScore.AUTO), null);
    // mask_score holds the reference file's scores, score the reverse ranking
    assertStats(exp.get("segm").get("stats"), auto.results().get(IouType.SEGM).stats(), "segm by mask_score");
    assertNotEquals(exp.get("bbox").get("stats").get(0).asDouble(), auto.results().get(IouType.BBOX).stats()[0],
        "bbox ranks by score, reversed here");
    assertEquals("mask_score", new ObjectMapper().readTree(summary.toFile()).get("segm").get("ranked_by").asText());
    assertEquals("score", new ObjectMapper().readTree(summary.toFile()).get("bbox").get("ranked_by").asText());

    EvaluateJob.Outcome byScore = EvaluateJob.run(spark, options(c, tmp, null, EvaluateOptions.SegmScore.SCORE), null);
    assertEquals("score", byScore.rankedBy().get(IouType.SEGM));
    assertNotEquals(exp.get("segm").get("stats").get(0).asDouble(), byScore.results().get(IouType.SEGM).stats()[0]);

    // the older run in the same table (null mask_score in the merged schema): auto falls back to score,
    // mask_score is refused
    EvaluateOptions oldAuto = new EvaluateOptions(caseDir(c).resolve("gt.json").toUri().toString(),
        tmp.resolve("out").toUri().toString(), "parquet", "run-a", List.of(), LoadRes.AreaSource.AUTO, null, null, 2,
        EvaluateOptions.SegmScore.AUTO);
    EvaluateJob.Outcome fallback = EvaluateJob.run(spark, oldAuto, null);
    assertEquals("score", fallback.rankedBy().get(IouType.SEGM));
    assertStats(exp.get("segm").get("stats"), fallback.results().get(IouType.SEGM).stats(), "segm by score");
    EvaluateOptions oldMask = new EvaluateOptions(oldAuto.groundTruth(), oldAuto.detections(), "parquet", "run-a",
        List.of(), LoadRes.AreaSource.AUTO, null, null, 2, EvaluateOptions.SegmScore.MASK_SCORE);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EvaluateJob.run(spark, oldMask, null));
    assertTrue(e.getMessage().contains("run run-a in ") && e.getMessage().contains("has no mask_score"), e.getMessage());
  }

  private static EvaluateOptions options(String c, Path tmp, Path summary, EvaluateOptions.SegmScore segmScore) {
    return new EvaluateOptions(caseDir(c).resolve("gt.json").toUri().toString(), tmp.resolve("out").toUri().toString(),
        "parquet", "run-m", List.of(IouType.BBOX, IouType.SEGM), LoadRes.AreaSource.AUTO, null,
        summary == null ? null : summary.toUri().toString(), 2, segmScore);
  }

  private static void assertStats(JsonNode expected, double[] got, String what) {
    assertEquals(expected.size(), got.length, what);
    for (int i = 0; i < got.length; i++) {
      assertEquals(expected.get(i).asDouble(), got[i], 1e-9, what + " stats[" + i + "]");
    }
  }

  @Test
  void evaluateCommandOnResultsJson(@TempDir Path tmp) throws Exception {
    String c = "c01_tiny";
    Path summary = tmp.resolve("s.json");
    int rc = new CommandLine(new EvaluateCommand()).execute(
        "--ground-truth", caseDir(c).resolve("gt.json").toString(),
        "--detections", caseDir(c).resolve("dt.json").toString(),
        "--iou-types", "bbox,segm",
        "--summary-json", summary.toString(),
        "--partitions", "2");
    assertEquals(0, rc);
    JsonNode written = new ObjectMapper().readTree(summary.toFile());
    JsonNode exp = expected(c);
    for (String t : List.of("bbox", "segm")) {
      for (int i = 0; i < 12; i++) {
        assertEquals(exp.get(t).get("stats").get(i).asDouble(), written.get(t).get("stats").get(i).asDouble(), 1e-9);
      }
    }
    assertTrue(written.get("keypoints") == null);
    assertTrue(written.get("bbox").has("errors") && written.get("segm").has("errors"), "the error analysis by default");
    Path without = tmp.resolve("without.json");
    assertEquals(0, new CommandLine(new EvaluateCommand()).execute(
        "--ground-truth", caseDir(c).resolve("gt.json").toString(),
        "--detections", caseDir(c).resolve("dt.json").toString(),
        "--iou-types", "bbox", "--no-errors", "--summary-json", without.toString(), "--partitions", "2"));
    JsonNode plain = new ObjectMapper().readTree(without.toFile());
    assertTrue(plain.get("bbox").has("stats") && !plain.get("bbox").has("errors"), "--no-errors");
    int bad = new CommandLine(new EvaluateCommand()).execute("--detections", "x.json", "--iou-types", "boxes");
    assertEquals(2, bad);
    int noMaskScore = new CommandLine(new EvaluateCommand()).execute(
        "--ground-truth", caseDir(c).resolve("gt.json").toString(),
        "--detections", caseDir(c).resolve("dt.json").toString(), "--segm-score", "mask_score");
    assertEquals(2, noMaskScore, "a results JSON has no mask_score");
    assertEquals(2, new CommandLine(new EvaluateCommand()).execute("--ground-truth", "gt.json", "--detections", "x.json",
        "--engine", "fast"), "an unknown engine");
    assertEquals(2, new CommandLine(new EvaluateCommand()).execute(
        "--ground-truth", caseDir(c).resolve("gt.json").toString(), "--detections", caseDir(c).resolve("dt.json").toString(),
        "--engine", "local", "--output", "eval-out"), "tables need Spark");
  }
}
