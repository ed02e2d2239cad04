package io.sparkseg.job.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.apache.spark.sql.functions.col;

import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.evaluate.EvalOutputs;
import io.sparkseg.job.evaluate.EvaluateJob;
import io.sparkseg.job.evaluate.EvaluateOptions;
import io.sparkseg.job.output.format.FormatSession;
import io.sparkseg.job.output.format.RunTableSource;
import io.sparkseg.job.output.format.RunTables;
import io.sparkseg.job.output.format.TableFormat;
import io.sparkseg.job.output.format.TableSchemas;
import io.sparkseg.tables.EvalTables;
import io.sparkseg.tables.ImagesTable;
import io.sparkseg.tables.InstancesTable;
import io.sparkseg.udfs.SparksegFunctions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.io.FileUtils;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The readers on every table format: the fixture's two runs ({@link ResultFixture}) on their first
 * images, as Parquet folders written before commits (the reference) and appended with
 * {@link RunTables#appendCommit} to Parquet commit folders, a Delta output and an Iceberg
 * namespace, plus the instances of a second commit of run B whose images a dead attempt never
 * wrote. {@code evaluate}, every notebook query and the report must see the same run in each
 * format, and evaluate and the report only its committed rows.
 */
class TableFormatsReadTest {
  private static final List<TableFormat> FORMATS = List.of(TableFormat.PARQUET, TableFormat.DELTA, TableFormat.ICEBERG);
  private static final String SUMMARY = "{\"run_id\": \"" + ResultFixture.RUN_B + "\", \"images_total\": 202}";

  @TempDir
  static Path tmp;
  private static SparkSession spark;
  private static ResultFixture fx;
  private static final Map<TableFormat, String> OUT = new EnumMap<>(TableFormat.class);
  private static long imagesOfB;
  private static long instancesOfB;
  private static Timestamp afterRunA;
  /** Images per run in the tables (and the two failed ones). */
  private static final int IMAGES = 40;
  private static String legacy;

  @BeforeAll
  static void writeTables() throws IOException {
    fx = Fixtures.results();
    spark = FormatSession.open(tmp.resolve("warehouse"));
    SparksegFunctions.register(spark);
    RunTableSource fixture = RunTableSource.open(spark, fx.output.toString(), "parquet", "--output", "--table-format");
    // few rows: the first images and the two that failed
    long cutoff = fixture.images(ResultFixture.RUN_B).select("image_id").orderBy("image_id").limit(IMAGES)
        .as(org.apache.spark.sql.Encoders.LONG()).collectAsList().get(IMAGES - 1);
    Column few = col("image_id").leq(cutoff).or(col("image_id").geq(100_000L));
    Dataset<Row> instancesA = exact(fixture.instances(ResultFixture.RUN_A).where(few), InstancesTable.SCHEMA);
    Dataset<Row> imagesA = exact(fixture.images(ResultFixture.RUN_A).where(few), ImagesTable.SCHEMA);
    Dataset<Row> inst = exact(fixture.instances(ResultFixture.RUN_B).where(few), InstancesTable.SCHEMA);
    Dataset<Row> imagesB = exact(fixture.images(ResultFixture.RUN_B).where(few), ImagesTable.SCHEMA);
    // the reference: the same rows as Parquet folders written before commits (run_id=ID/part-*)
    legacy = tmp.resolve("legacy").toUri().toString();
    instancesA.union(inst).coalesce(1).write().partitionBy(TableSchemas.RUN_ID).parquet(legacy + "/instances");
    imagesA.union(imagesB).coalesce(1).write().partitionBy(TableSchemas.RUN_ID).parquet(legacy + "/images");
    imagesOfB = imagesB.count();
    instancesOfB = inst.count();
    Map<TableFormat, RunTables> tables = new EnumMap<>(TableFormat.class);
    for (TableFormat f : FORMATS) {
      String out = f == TableFormat.ICEBERG ? FormatSession.CATALOG + ".fixture" : tmp.resolve(f.id()).toUri().toString();
      OUT.put(f, out);
      RunTables t = RunTables.open(spark, f, out);
      tables.put(f, t);
      t.appendCommit(ResultFixture.RUN_A, "a1", 0, instancesA, imagesA);
    }
    // commit times are in milliseconds: one second apart, run A's commits and run B's
    sleep();
    afterRunA = new Timestamp(System.currentTimeMillis());
    sleep();
    for (TableFormat f : FORMATS) {
      RunTables t = tables.get(f);
      t.appendCommit(ResultFixture.RUN_B, "b1", 0, inst, imagesB);
      // attempt b1 dies inside commit 1: run A's detections, labelled run B, have no images rows
      t.appendCommit(ResultFixture.RUN_B, "b1", 1, instancesA, imagesB.limit(3));
      dropImagesOfCommit1(f, OUT.get(f));
      if (f == TableFormat.ICEBERG) {
        t.putRun(finishedRun(ResultFixture.RUN_B, imagesOfB));
      }
    }
  }

  /** The rows with the job's exact schema (Spark reads every Parquet column as nullable). */
  private static Dataset<Row> exact(Dataset<Row> rows, StructType schema) {
    return spark.createDataFrame(rows.select(schema.fieldNames()[0], java.util.Arrays.copyOfRange(schema.fieldNames(), 1,
        schema.size())).javaRDD(), schema);
  }

  private static void sleep() {
    try {
      Thread.sleep(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void dropImagesOfCommit1(TableFormat f, String out) throws IOException {
    String where = " WHERE run_id = '" + ResultFixture.RUN_B + "' AND `commit` = 1";
    switch (f) {
      case PARQUET -> FileUtils.deleteDirectory(Path.of(java.net.URI.create(out + "/images/run_id=" + ResultFixture.RUN_B
          + "/commit=1")).toFile());
      case DELTA -> spark.sql("DELETE FROM delta.`" + out + "/images`" + where);
      case ICEBERG -> spark.sql("DELETE FROM " + out + ".images" + where);
    }
  }

  private static Row finishedRun(String runId, long images) {
    Timestamp t = Timestamp.valueOf("2026-12-01 10:00:00");
    List<Object> v = new ArrayList<>();
    for (String name : TableSchemas.RUNS_TABLE.fieldNames()) {
      v.add(switch (name) {
        case "run_id" -> runId;
        case "status" -> "succeeded";
        case "summary" -> SUMMARY;
        case "started_at", "updated_at", "finished_at" -> t;
        case "images_total", "images_committed" -> images;
        default -> null;
      });
    }
    return RowFactory.create(v.toArray());
  }

  private static EvaluateOptions options(String detections, String format, String runId) {
    return new EvaluateOptions(ResultFixture.samples().resolve("annotations.json").toUri().toString(), detections,
        format, runId, List.of(IouType.BBOX, IouType.SEGM), LoadRes.AreaSource.AUTO, null, null, 2,
        EvaluateOptions.SegmScore.AUTO);
  }

  @Test
  void evaluateGivesTheFixturesStatsInEveryFormatFromCommittedRowsOnly() throws IOException {
    EvaluateJob.Outcome reference = EvaluateJob.run(spark, options(legacy, "auto", ResultFixture.RUN_B), null);
    Map<String, EvaluateOptions> cases = new LinkedHashMap<>();
    for (TableFormat f : FORMATS) {
      cases.put(f.id(), options(OUT.get(f), "auto", ResultFixture.RUN_B));
    }
    // the instances table itself, and the format told
    cases.put("delta instances", options(OUT.get(TableFormat.DELTA) + "/instances", "delta", ResultFixture.RUN_B));
    cases.put("iceberg instances", options(OUT.get(TableFormat.ICEBERG) + ".instances", "iceberg", ResultFixture.RUN_B));
    for (Map.Entry<String, EvaluateOptions> c : cases.entrySet()) {
      EvaluateJob.Outcome got = EvaluateJob.run(spark, c.getValue(), null);
      assertEquals(ResultFixture.RUN_B, got.runId(), c.getKey());
      for (IouType t : List.of(IouType.BBOX, IouType.SEGM)) {
        assertArrayEquals(reference.results().get(t).stats(), got.results().get(t).stats(), c.getKey() + " " + t);
      }
    }
  }

  @Test
  void timeTravelReadsTheTablesAsTheyWere() {
    String ts = afterRunA.toString();
    String delta = OUT.get(TableFormat.DELTA) + "/images";
    String iceberg = OUT.get(TableFormat.ICEBERG) + ".images";
    // what the notebooks' AS_OF does, and README's SQL
    List<Dataset<Row>> then = List.of(
        spark.read().format("delta").option("timestampAsOf", ts).load(delta),
        spark.read().option("timestampAsOf", ts).table(iceberg),
        spark.sql("SELECT * FROM delta.`" + delta + "` TIMESTAMP AS OF '" + ts + "'"),
        spark.sql("SELECT * FROM " + iceberg + " TIMESTAMP AS OF '" + ts + "'"));
    for (Dataset<Row> rows : then) {
      assertEquals(List.of(ResultFixture.RUN_A), rows.select("run_id").distinct().as(org.apache.spark.sql.Encoders.STRING())
          .collectAsList());
    }
    assertEquals(2, spark.sql("SELECT DISTINCT run_id FROM " + iceberg).count(), "and now both runs");
  }

  @Test
  void theFormatIsDetectedAndAWrongOneIsNamed() {
    for (TableFormat f : FORMATS) {
      RunTableSource s = RunTableSource.open(spark, OUT.get(f), "auto", "--detections", "--detections-format");
      assertEquals(f, s.format(), OUT.get(f));
      assertEquals(List.of(ResultFixture.RUN_A, ResultFixture.RUN_B), s.runIds(), f.id());
      assertEquals(imagesOfB, s.images(ResultFixture.RUN_B).count(), f.id() + " images");
      assertEquals(instancesOfB, s.instances(ResultFixture.RUN_B).count(), f.id() + " committed instances");
    }
    assertEquals(TableFormat.DELTA, RunTableSource.open(spark, OUT.get(TableFormat.DELTA) + "/instances", "auto", "--detections",
        "--detections-format").format());
    Map<Supplier<RunTableSource>, String> wrong = new LinkedHashMap<>();
    wrong.put(() -> open(OUT.get(TableFormat.PARQUET), "delta"), "is not a Delta table: no _delta_log");
    wrong.put(() -> open("nocat.sparkseg", "auto"), "Spark catalog 'nocat' is not configured");
    wrong.put(() -> open(FormatSession.CATALOG + ".nothing", "iceberg"), "there is no Iceberg table lake.nothing.instances");
    wrong.put(() -> open(tmp.resolve("missing").toString(), "auto"), "does not exist: expected a folder");
    wrong.put(() -> open(OUT.get(TableFormat.PARQUET), "orc"), "--detections-format 'orc' is not one of auto, parquet, delta, iceberg");
    wrong.forEach((open, message) -> {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, open::get, message);
      assertTrue(e.getMessage().contains(message), e.getMessage());
    });
    TestSpark.CliResult bad = TestSpark.cli("evaluate", "--gt", "gt.json", "--detections", "x", "--detections-format", "csv");
    assertEquals(2, bad.exitCode());
    assertTrue(bad.err().contains("--detections-format must be one of auto, parquet, delta, iceberg, json, got 'csv'"),
        bad.err());
  }

  @Test
  void aSessionWithoutTheFormatsExtensionsReadsThemWithTheCatalogSetAtRuntime() {
    // what evaluate and report get from SparkSessions: the user's --conf pairs, set on a running session
    SparkSession plain = Fixtures.spark();
    String catalog = "spark.sql.catalog." + FormatSession.CATALOG;
    for (String key : List.of("", ".type", ".warehouse")) {
      plain.conf().set(catalog + key, spark.conf().get(catalog + key));
    }
    for (TableFormat f : List.of(TableFormat.DELTA, TableFormat.ICEBERG)) {
      RunTableSource s = RunTableSource.open(plain, OUT.get(f), "auto", "--detections", "--detections-format");
      assertEquals(instancesOfB, s.instances(ResultFixture.RUN_B).count(), f.id());
    }
  }

  private static RunTableSource open(String value, String format) {
    return RunTableSource.open(spark, value, format, "--detections", "--detections-format");
  }

  @Test
  void everyNotebookQueryGivesTheSameRowsInEveryFormat() throws IOException {
    // the queries see only these views: when each format's setup cells give the same columns and rows,
    // every query gives the same rows, so the queries run once, on the last format's views
    Map<String, String> columns = new LinkedHashMap<>();
    Map<String, List<String>> rowsOf = new LinkedHashMap<>();
    List<Dataset<Row>> cached = new ArrayList<>();
    for (TableFormat f : FORMATS) {
      cached.forEach(Dataset::unpersist);
      cached.clear();
      // what the notebooks' setup cells do for each TABLE_FORMAT
      for (String table : List.of(TableSchemas.INSTANCES, TableSchemas.IMAGES)) {
        Dataset<Row> rows = switch (f) {
          case PARQUET -> spark.read().option("mergeSchema", "true").parquet(OUT.get(f) + "/" + table);
          case DELTA -> spark.read().format("delta").load(OUT.get(f) + "/" + table);
          case ICEBERG -> spark.table(OUT.get(f) + "." + table);
        };
        rows.cache().createOrReplaceTempView(table);
        cached.add(rows);
        List<String> got = rows.collectAsList().stream().map(TableFormatsReadTest::text).sorted().toList();
        assertFalse(got.isEmpty(), f.id() + " " + table);
        // column names and types, in order (nullability aside: Parquet reads every column as nullable)
        String schema = rows.schema().catalogString();
        if (columns.putIfAbsent(table, schema) != null) {
          assertEquals(columns.get(table), schema, f.id() + " " + table + " columns");
          assertEquals(rowsOf.get(table), got, f.id() + " " + table + " rows");
        }
        rowsOf.putIfAbsent(table, got);
      }
    }
    // the evaluation tables are Parquet whatever the run's format
    List<Dataset<Row>> evaluation = new ArrayList<>();
    for (String t : List.of(EvalTables.SUMMARY, EvalTables.PER_CATEGORY, EvalTables.PR_CURVES)) {
      Dataset<Row> rows = spark.read().parquet(EvalOutputs.tablePath(fx.evalOutput.toString(), t)).cache();
      rows.createOrReplaceTempView(t);
      evaluation.add(rows);
    }
    Map<String, List<Row>> results = NotebookSqlTest.runAll(spark, false);
    assertFalse(results.get("01_run_summary.ipynb#2").isEmpty());
    cached.forEach(Dataset::unpersist);
    evaluation.forEach(Dataset::unpersist);
  }

  @Test
  void theReportIsTheSameInEveryFormatAndTakesIcebergsSummaryFromTheRunsTable() throws IOException {
    String reference = cards(RunReport.html(spark, new RunReport.Options(legacy, ResultFixture.RUN_B, null,
        2, 0.5, 200)));
    for (TableFormat f : FORMATS) {
      String html = RunReport.html(spark, new RunReport.Options(OUT.get(f), "auto", ResultFixture.RUN_B, null, 2, 0.5, 200));
      assertEquals(reference, cards(html), f.id());
      assertEquals(2, html.split("src=\"data:image/png;base64,", -1).length - 1, f.id() + " samples");
    }
    // the command: Iceberg needs --report (no folder), and shows the runs table's summary
    Path report = tmp.resolve("iceberg.html");
    SparkSession.setActiveSession(spark);
    try {
      StringWriter err = new StringWriter();
      CommandLine cl = new CommandLine(new io.sparkseg.job.cli.ReportCommand());
      cl.setErr(new PrintWriter(err));
      cl.setOut(new PrintWriter(new StringWriter()));
      String[] args = {"--output", OUT.get(TableFormat.ICEBERG), "--table-format", "iceberg", "--run-id", ResultFixture.RUN_B};
      assertEquals(2, cl.execute(args), err.toString());
      assertTrue(err.toString().contains("--report is required for an Iceberg output"), err.toString());
      List<String> withReport = new ArrayList<>(List.of(args));
      withReport.addAll(List.of("--report", report.toString(), "--samples", "0"));
      assertEquals(0, cl.execute(withReport.toArray(String[]::new)), err.toString());
    } finally {
      SparkSession.setActiveSession(Fixtures.spark());
    }
    String html = Files.readString(report);
    assertTrue(html.contains("runs.summary") && html.contains("images_total"), "the summary from the runs table");
  }

  /** A row as text, byte arrays (PNGs) by content. */
  private static String text(Row r) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < r.length(); i++) {
      Object v = r.get(i);
      b.append(v instanceof byte[] bytes ? "bytes:" + java.util.Arrays.hashCode(bytes)
          : v instanceof Row nested ? text(nested) : String.valueOf(v)).append(',');
    }
    return b.append(']').toString();
  }

  /** The report's summary cards: counts, latency. */
  private static String cards(String html) {
    Matcher m = Pattern.compile("<div class=\"cards\">.*?</div>\\n", Pattern.DOTALL).matcher(html);
    assertTrue(m.find(), "no cards");
    return m.group();
  }
}
