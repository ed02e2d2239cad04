package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.evaluate.EvaluateJob;
import io.sparkseg.job.evaluate.EvaluateOptions;
import io.sparkseg.job.output.format.FormatSession;
import io.sparkseg.job.output.format.RunTables;
import io.sparkseg.job.output.format.TableFormat;
import io.sparkseg.job.output.format.TableSchemas;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.io.FileUtils;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The segment command, in process on the embedded model, writing the same run of 12 sample images
 * in 3 commits as Parquet folders, Delta path tables and Iceberg tables (a local Hadoop catalog):
 * evaluate gives the same stats from each, each commit is one transaction per table, and a run whose
 * last commit lost its images rows (instances left as orphans, runs row still running) resumes by
 * recomputing that commit only, leaving tables equal to the uninterrupted run's with no duplicate.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TableFormatRunsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<TableFormat> FORMATS = List.of(TableFormat.PARQUET, TableFormat.DELTA, TableFormat.ICEBERG);
  private static final int IMAGES = 12;
  private static final int COMMIT = 4;
  private static final int COMMITS = IMAGES / COMMIT;
  private static final String RUN = "tf";

  @TempDir
  static Path tmp;
  private static SparkSession spark;
  private static Path gt;
  private static final Map<TableFormat, String> OUT = new EnumMap<>(TableFormat.class);
  private static final Map<TableFormat, JsonNode> SUMMARY = new EnumMap<>(TableFormat.class);

  @BeforeAll
  static void segmentInEveryFormat() throws IOException {
    gt = firstImagesOfTheSampleAnnotations(tmp.resolve("gt.json"), IMAGES);
    spark = FormatSession.open(tmp.resolve("warehouse"));
    for (TableFormat f : FORMATS) {
      OUT.put(f, f == TableFormat.ICEBERG ? FormatSession.CATALOG + ".e2e" : tmp.resolve(f.id()).toString());
      long t0 = System.nanoTime();
      SUMMARY.put(f, segment(f, f.id() + ".json"));
      System.out.printf("TableFormatRunsTest: %s run of %d images in %d commits: %.1f s%n", f.id(), IMAGES, COMMITS,
          (System.nanoTime() - t0) / 1e9);
    }
  }

  /** {@code sparkseg segment} of the run in {@code format} on the format session; its summary. */
  private static JsonNode segment(TableFormat format, String summaryName) throws IOException {
    Path summary = tmp.resolve(summaryName);
    SparkSession.setActiveSession(spark);
    TestSpark.CliResult r;
    try {
      r = TestSpark.cli("segment", "--coco-images", gt.toString(),
          "--image-root", TestSpark.repoRoot().resolve("samples/images").toString(), "--output", OUT.get(format),
          "--table-format", format.id(), "--model", TestSpark.modelDir().toString(), "--run-id", RUN,
          "--commit-images", String.valueOf(COMMIT), "--progress-interval", "0", "--summary-json", summary.toString(),
          "--register-tables", database(format));
    } finally {
      SparkSession.setActiveSession(TestSpark.session());
    }
    assertEquals(0, r.exitCode(), format.id() + ": " + r.err());
    return JSON.readTree(summary.toFile());
  }

  /** Where --register-tables names the format's tables. */
  private static String database(TableFormat format) {
    return "tf_" + format.id();
  }

  /** The sample annotations of their first {@code n} images: input (ids, files) and ground truth. */
  private static Path firstImagesOfTheSampleAnnotations(Path target, int n) throws IOException {
    ObjectNode all = (ObjectNode) JSON.readTree(TestSpark.repoRoot().resolve("samples/annotations.json").toFile());
    ArrayNode images = JSON.createArrayNode();
    Set<Long> ids = new HashSet<>();
    for (JsonNode i : all.get("images")) {
      if (images.size() < n) {
        images.add(i);
        ids.add(i.get("id").asLong());
      }
    }
    ArrayNode annotations = JSON.createArrayNode();
    for (JsonNode a : all.get("annotations")) {
      if (ids.contains(a.get("image_id").asLong())) {
        annotations.add(a);
      }
    }
    all.set("images", images);
    all.set("annotations", annotations);
    JSON.writeValue(target.toFile(), all);
    return target;
  }

  @Test
  @Order(1)
  void everyFormatHoldsTheSameRowsInTheSameCommits() {
    List<String> images = null;
    List<String> instances = null;
    for (TableFormat f : FORMATS) {
      JsonNode s = SUMMARY.get(f);
      assertEquals(IMAGES, s.get("images_total").asLong(), s.toString());
      assertEquals(IMAGES, s.get("images_computed").asLong(), s.toString());
      assertEquals(COMMITS, s.get("commits").asInt(), s.toString());
      assertEquals(f.id(), s.get("table_format").asText());
      RunTables t = RunTables.open(spark, f, OUT.get(f));
      List<String> im = imageRows(t);
      List<String> in = instanceRows(t);
      assertEquals(IMAGES, im.size(), f.id());
      assertTrue(in.size() > 0, f.id() + ": the model finds something in " + IMAGES + " images");
      if (images == null) {
        images = im;
        instances = in;
      } else {
        assertEquals(images, im, f.id() + " images");
        assertEquals(instances, in, f.id() + " instances");
      }
    }
  }

  @Test
  @Order(2)
  void evaluateGivesTheSameStatsFromEveryFormat() throws IOException {
    EvaluateJob.Outcome parquet = evaluate(OUT.get(TableFormat.PARQUET), "parquet");
    double[] bbox = parquet.results().get(IouType.BBOX).stats();
    System.out.println("TableFormatRunsTest: bbox stats " + java.util.Arrays.toString(bbox));
    assertTrue(bbox[0] > 0, "some detections match the ground truth: " + java.util.Arrays.toString(bbox));
    Map<String, EvaluateJob.Outcome> others = Map.of(
        "delta", evaluate(OUT.get(TableFormat.DELTA), "auto"),
        "delta instances", evaluate(OUT.get(TableFormat.DELTA) + "/instances", "delta"),
        "iceberg", evaluate(OUT.get(TableFormat.ICEBERG), "auto"),
        "iceberg instances", evaluate(OUT.get(TableFormat.ICEBERG) + ".instances", "iceberg"));
    others.forEach((name, got) -> {
      assertEquals(RUN, got.runId(), name);
      for (IouType t : List.of(IouType.BBOX, IouType.SEGM)) {
        assertArrayEquals(parquet.results().get(t).stats(), got.results().get(t).stats(), name + " " + t);
      }
    });
  }

  private static EvaluateJob.Outcome evaluate(String detections, String format) throws IOException {
    return EvaluateJob.run(spark, new EvaluateOptions(gt.toUri().toString(), detections, format, RUN,
        List.of(IouType.BBOX, IouType.SEGM), LoadRes.AreaSource.AUTO, null, null, 2, EvaluateOptions.SegmScore.AUTO), null);
  }

  @Test
  @Order(3)
  void deltaHistoryHasOneWritePerCommitPerTable() {
    for (String table : List.of(TableSchemas.INSTANCES, TableSchemas.IMAGES)) {
      long writes = spark.sql("DESCRIBE HISTORY delta.`" + OUT.get(TableFormat.DELTA) + "/" + table + "`")
          .where("operation = 'WRITE'").count();
      assertEquals(COMMITS, writes, table);
    }
  }

  @Test
  @Order(4)
  void icebergHasOneSnapshotPerCommitPerTableNamingTheRunAndCommit() {
    for (String table : List.of(TableSchemas.INSTANCES, TableSchemas.IMAGES)) {
      List<Row> snaps = spark.sql("SELECT operation, summary['sparkseg.run-id'], summary['sparkseg.commit'] FROM "
          + OUT.get(TableFormat.ICEBERG) + "." + table + ".snapshots ORDER BY committed_at").collectAsList();
      assertEquals("[[append,tf,0], [append,tf,1], [append,tf,2]]", snaps.toString(), table);
    }
  }

  @Test
  @Order(5)
  void registeredTablesShowTheRunInEveryFormat() {
    for (TableFormat f : FORMATS) {
      String db = database(f);
      assertEquals("[\"" + db + ".instances\",\"" + db + ".images\"]", SUMMARY.get(f).get("outputs").get("tables").toString());
      RunTables t = RunTables.open(spark, f, OUT.get(f));
      assertEquals(imageRows(t), RowsText.of(spark.sql("SELECT * FROM " + db + ".images WHERE run_id = '" + RUN + "'")
          .selectExpr(TableSchemas.IMAGES_TABLE.fieldNames()).drop("inference_ms")), f.id());
      assertEquals(instanceRows(t).size(), spark.table(db + ".instances").where("run_id = '" + RUN + "'").count(), f.id());
    }
  }

  @ParameterizedTest
  @Order(10)
  @EnumSource(value = TableFormat.class)
  void aRunWhoseLastCommitLostItsImagesResumesThatCommitOnlyWithoutDuplicates(TableFormat f) throws IOException {
    String out = OUT.get(f);
    RunTables t = RunTables.open(spark, f, out);
    List<String> images = imageRows(t);
    List<String> instances = instanceRows(t);
    long rawInstances = raw(f, TableSchemas.INSTANCES).count();
    // a crash between commit 2's two writes: its instances stay, its images never came
    int last = COMMITS - 1;
    switch (f) {
      case PARQUET -> FileUtils.deleteDirectory(Path.of(out, "images", "run_id=" + RUN, "commit=" + last).toFile());
      case DELTA -> spark.sql("DELETE FROM delta.`" + out + "/images` WHERE run_id = '" + RUN + "' AND `commit` = " + last);
      case ICEBERG -> spark.sql("DELETE FROM " + out + ".images WHERE run_id = '" + RUN + "' AND `commit` = " + last);
    }
    markRunning(t);
    assertEquals(IMAGES - COMMIT, t.images(RUN).count());
    assertEquals(rawInstances, raw(f, TableSchemas.INSTANCES).count(), "the orphans are there");

    long t0 = System.nanoTime();
    JsonNode s = segment(f, f.id() + "-resume.json");
    System.out.printf("TableFormatRunsTest: %s resume of commit %d: %.1f s%n", f.id(), last, (System.nanoTime() - t0) / 1e9);
    assertEquals(IMAGES - COMMIT, s.get("images_resumed").asLong(), s.toString());
    assertEquals(COMMIT, s.get("images_computed").asLong(), s.toString());
    assertEquals(IMAGES, s.get("images_total").asLong(), s.toString());
    assertEquals("succeeded", s.get("status").asText(), s.toString());

    assertEquals(images, imageRows(t), "images equal the uninterrupted run's");
    assertEquals(instances, instanceRows(t), "instances equal the uninterrupted run's");
    Dataset<Row> rawImages = raw(f, TableSchemas.IMAGES);
    Dataset<Row> rawInst = raw(f, TableSchemas.INSTANCES);
    assertEquals(IMAGES, rawImages.count());
    assertEquals(IMAGES, rawImages.select("image_id").distinct().count(), "no image twice");
    assertEquals(rawInstances, rawInst.count(), "the orphans were dropped before the commit was written again");
    assertEquals(rawInstances, rawInst.select("image_id", "instance_index").distinct().count(), "no instance twice");
    Row run = t.run(RUN).orElseThrow();
    assertEquals("succeeded", run.getAs("status"));
    assertEquals(2, (int) run.<Integer>getAs("attempts"));
    assertEquals(COMMITS, run.getList(run.fieldIndex("commits")).size());
    if (f == TableFormat.DELTA) {
      long writes = spark.sql("DESCRIBE HISTORY delta.`" + out + "/images`").where("operation = 'WRITE'").count();
      assertEquals(COMMITS + 1, writes, "one more images write: the recomputed commit");
    }
    if (f == TableFormat.ICEBERG) {
      List<Row> appends = spark.sql("SELECT summary['sparkseg.commit'] FROM " + out + ".images.snapshots WHERE "
          + "operation = 'append' ORDER BY committed_at").collectAsList();
      assertEquals("[[0], [1], [2], [2]]", appends.toString());
    }
  }

  /** Rewrites the run's row as a dead attempt leaves it. */
  private static void markRunning(RunTables t) {
    Row r = t.run(RUN).orElseThrow();
    Object[] v = new Object[r.length()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.get(i);
    }
    v[r.fieldIndex("status")] = "running";
    v[r.fieldIndex("finished_at")] = null;
    v[r.fieldIndex("summary")] = null;
    t.putRun(RowFactory.create(v));
  }

  /** Every row of the format's table, as a reader of the format sees it (orphans included). */
  private static Dataset<Row> raw(TableFormat f, String table) {
    String out = OUT.get(f);
    Dataset<Row> rows = switch (f) {
      case PARQUET -> spark.read().parquet(out + "/" + table);
      case DELTA -> spark.read().format("delta").load(out + "/" + table);
      case ICEBERG -> spark.table(out + "." + table);
    };
    return rows.where("run_id = '" + RUN + "'");
  }

  /** The run's committed images rows as sorted text, without the timing that differs between runs. */
  private static List<String> imageRows(RunTables t) {
    return RowsText.of(t.images(RUN).drop("inference_ms"));
  }

  private static List<String> instanceRows(RunTables t) {
    return RowsText.of(t.instances(RUN));
  }
}
