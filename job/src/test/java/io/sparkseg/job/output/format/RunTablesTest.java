package io.sparkseg.job.output.format;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.compat.ScalaApi;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.output.TableRegistrar;
import io.sparkseg.tables.ImagesTable;
import io.sparkseg.tables.InstancesTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The three table formats on real tables (Parquet folders, Delta path tables, Iceberg tables in a
 * local Hadoop catalog) with small hand-made rows: commits, orphans of a crash, staged replace, the
 * runs row, and (Delta, Iceberg) history and time travel. Crashes are simulated by writing what a
 * dead attempt leaves with the format's own writer.
 */
class RunTablesTest {
  private static final AtomicInteger OUTPUTS = new AtomicInteger();
  @TempDir
  static Path tmp;
  private static SparkSession spark;

  @BeforeAll
  static void session() {
    spark = FormatSession.open(tmp.resolve("warehouse"));
  }

  /** A new, empty output of {@code format}. */
  private static String newOutput(TableFormat format) {
    int n = OUTPUTS.incrementAndGet();
    return format == TableFormat.ICEBERG ? FormatSession.CATALOG + ".t" + n : tmp.resolve(format.id() + n).toUri().toString();
  }

  // ---- commits ----

  @ParameterizedTest
  @EnumSource(TableFormat.class)
  void twoCommitsAppendAndReadBackExactlyAndAppendingOneAgainAddsNothing(TableFormat format) {
    String out = newOutput(format);
    RunTables t = RunTables.open(spark, format, out);
    assertEquals(-1, t.lastCommit("r1"));
    t.appendCommit("r1", "a1", 0, instances("r1", 1, 2), images("r1", 1, 2));
    t.appendCommit("r1", "a1", 1, instances("r1", 3), images("r1", 3, 4));
    t.appendCommit("r2", "b1", 0, instances("r2", 9), images("r2", 9));
    long versions = transactions(format, out, TableSchemas.INSTANCES) + transactions(format, out, TableSchemas.IMAGES);
    // the same attempt retries commit 1 (its first try did commit)
    t.appendCommit("r1", "a1", 1, instances("r1", 3), images("r1", 3, 4));
    assertEquals(versions, transactions(format, out, TableSchemas.INSTANCES) + transactions(format, out, TableSchemas.IMAGES),
        "no transaction for a repeated commit");

    assertEquals(List.of("1 0 r1", "2 0 r1", "3 1 r1", "4 1 r1"), imageKeys(t.images("r1")));
    assertEquals(List.of("1/0 0 r1 person 1.0 04 kp=1", "1/1 0 r1 person 1.0 04 kp=0", "2/0 0 r1 person 1.0 04 kp=1",
        "2/1 0 r1 person 1.0 04 kp=0", "3/0 1 r1 person 1.0 04 kp=1", "3/1 1 r1 person 1.0 04 kp=0"),
        instanceKeys(t.instances("r1")));
    assertEquals(List.of("1 0 r1", "2 0 r1", "3 1 r1", "4 1 r1", "9 0 r2"), imageKeys(t.allImages()));
    assertEquals(1, t.lastCommit("r1"));
    assertEquals(0, t.lastCommit("r2"));
    assertEquals(Arrays.asList(TableSchemas.IMAGES_TABLE.fieldNames()), Arrays.asList(t.images("r1").columns()));
    assertEquals(Arrays.asList(TableSchemas.INSTANCES_TABLE.fieldNames()), Arrays.asList(t.instances("r1").columns()));
  }

  // ---- orphans ----

  @ParameterizedTest
  @EnumSource(TableFormat.class)
  void dropOrphansRemovesTheInstancesOfACommitWhoseImagesWereNeverWritten(TableFormat format) throws Exception {
    String out = newOutput(format);
    RunTables t = RunTables.open(spark, format, out);
    t.appendCommit("r1", "a1", 0, instances("r1", 1), images("r1", 1));
    t.appendCommit("r2", "b1", 0, instances("r2", 5), images("r2", 5));
    // attempt a1 dies after commit 1's instances transaction
    writeLikeADeadAttempt(format, out, TableSchemas.INSTANCES, TableRows.conform(TableSchemas.INSTANCES, instances("r1", 2, 3), "r1", 1));
    if (format == TableFormat.PARQUET) {
      // and another one inside commit 2's images write (files, no _SUCCESS)
      Dataset<Row> half = TableRows.conform(TableSchemas.IMAGES, images("r1", 4), "r1", 2).drop("run_id", "commit");
      String leaf = out + "/images/run_id=r1/commit=2";
      half.write().parquet(leaf);
      Files.delete(Path.of(java.net.URI.create(leaf + "/_SUCCESS")));
    }
    assertEquals(8, rawRows(format, out, TableSchemas.INSTANCES).count(), "the orphans are in the table");
    assertEquals(2, t.instances("r1").count(), "readers of the run see committed rows only");
    assertEquals(0, t.lastCommit("r1"));

    t.dropOrphans("r1");
    assertEquals(List.of(1L, 1L, 5L, 5L), imageIds(rawRows(format, out, TableSchemas.INSTANCES)));
    assertEquals(List.of(1L, 5L), imageIds(rawRows(format, out, TableSchemas.IMAGES)));
    long versions = transactions(format, out, TableSchemas.INSTANCES);
    t.dropOrphans("r1");
    assertEquals(versions, transactions(format, out, TableSchemas.INSTANCES), "no transaction when there are no orphans");

    // the next attempt commits index 1 again
    t.appendCommit("r1", "a2", 1, instances("r1", 2, 3), images("r1", 2, 3));
    assertEquals(List.of("1 0 r1", "2 1 r1", "3 1 r1"), imageKeys(t.images("r1")));
    assertEquals(6, t.instances("r1").count());
  }

  // ---- replace ----

  @ParameterizedTest
  @EnumSource(TableFormat.class)
  void aStagedReplaceIsInvisibleUntilPublishedAndThenReplacesExactlyTheRun(TableFormat format) {
    String out = newOutput(format);
    RunTables t = RunTables.open(spark, format, out);
    t.appendCommit("r1", "a1", 0, instances("r1", 1, 2), images("r1", 1, 2));
    t.appendCommit("r1", "a1", 1, instances("r1", 3), images("r1", 3));
    t.appendCommit("r2", "b1", 0, instances("r2", 9), images("r2", 9));

    Staging dead = t.stage("r1", "a2");
    dead.appendCommit(0, instances("r1", 7), images("r1", 7));
    dead.discard();
    assertStagingGone(format, out, "r1", "a2");

    Staging s = t.stage("r1", "a3");
    s.appendCommit(0, instances("r1", 10), images("r1", 10, 11));
    s.appendCommit(1, instances("r1", 12), images("r1", 12));
    assertEquals(List.of("1 0 r1", "2 0 r1", "3 1 r1"), imageKeys(t.images("r1")));
    assertEquals(List.of(1L, 2L, 3L, 9L), imageIds(rawRows(format, out, TableSchemas.IMAGES)), "raw readers too");
    assertEquals(List.of(1L, 1L, 2L, 2L, 3L, 3L, 9L, 9L), imageIds(rawRows(format, out, TableSchemas.INSTANCES)));

    s.publish();
    assertStagingGone(format, out, "r1", "a3");
    assertEquals(List.of("10 0 r1", "11 0 r1", "12 1 r1"), imageKeys(t.images("r1")));
    assertEquals(List.of(10L, 10L, 12L, 12L), imageIds(t.instances("r1")));
    assertEquals(List.of("9 0 r2"), imageKeys(t.images("r2")));
    assertEquals(2, t.instances("r2").count());
    assertEquals(List.of(9L, 10L, 11L, 12L), imageIds(rawRows(format, out, TableSchemas.IMAGES)));
    assertEquals(1, t.lastCommit("r1"));

    // a replace that committed nothing leaves the run empty, not as it was
    t.stage("r1", "a4").publish();
    assertEquals(0, t.images("r1").count());
    assertEquals(0, t.instances("r1").count());
    assertEquals(-1, t.lastCommit("r1"));
    assertEquals(List.of(9L, 9L), imageIds(rawRows(format, out, TableSchemas.INSTANCES)));
  }

  // ---- runs ----

  @ParameterizedTest
  @EnumSource(TableFormat.class)
  void theRunsRowRoundTripsAndIsReplacedNotDuplicated(TableFormat format) {
    RunTables t = RunTables.open(spark, format, newOutput(format));
    assertTrue(t.run("r1").isEmpty());
    Row first = runRow("r1", "running", 1, null);
    t.putRun(first);
    t.putRun(runRow("r0", "succeeded", 0, "{}"));
    assertEquals(first, t.run("r1").orElseThrow());
    Row second = runRow("r1", "succeeded", 2, "{\"images_total\": 4}");
    t.putRun(second);
    assertEquals(second, t.run("r1").orElseThrow());
    List<Row> all = t.runs().orderBy("run_id").collectAsList();
    assertEquals(2, all.size(), all.toString());
    assertEquals(List.of("r0", "r1"), all.stream().map(r -> r.getString(0)).toList());
    assertEquals(second, all.get(1));
  }

  // ---- history and time travel (the lakehouse formats) ----

  @Test
  void deltaHistoryHasOneTransactionPerCommitPerTableAndTravelsBackACommit() {
    String out = threeCommits(TableFormat.DELTA);
    for (String table : List.of(TableSchemas.INSTANCES, TableSchemas.IMAGES)) {
      List<Row> writes = spark.sql("DESCRIBE HISTORY delta.`" + out + "/" + table + "`")
          .where(col("operation").equalTo("WRITE")).orderBy("version").collectAsList();
      assertEquals(3, writes.size(), table + ": " + writes);
    }
    long last = spark.sql("DESCRIBE HISTORY delta.`" + out + "/images`").agg(org.apache.spark.sql.functions.max("version")).first().getLong(0);
    Dataset<Row> before = spark.read().format("delta").option("versionAsOf", last - 1).load(out + "/images");
    assertEquals(List.of(1L, 2L, 11L, 12L), imageIds(before));
  }

  @Test
  void icebergSnapshotsCarryTheRunAndCommitAndTravelBackACommit() {
    String out = threeCommits(TableFormat.ICEBERG);
    for (String table : List.of(TableSchemas.INSTANCES, TableSchemas.IMAGES)) {
      List<Row> snaps = spark.sql("SELECT operation, summary['sparkseg.run-id'], summary['sparkseg.commit'] FROM "
          + out + "." + table + ".snapshots ORDER BY committed_at").collectAsList();
      assertEquals("[[append,r1,0], [append,r1,1], [append,r1,2]]", snaps.toString(), table);
    }
    long commit1 = spark.sql("SELECT snapshot_id FROM " + out + ".images.snapshots WHERE summary['sparkseg.commit'] = '1'")
        .first().getLong(0);
    assertEquals(List.of(1L, 2L, 11L, 12L), imageIds(spark.sql("SELECT * FROM " + out + ".images VERSION AS OF " + commit1)));
  }

  /** A new output with commits 0, 1, 2 of run r1: images 1 2, 11 12, 21 22. */
  private static String threeCommits(TableFormat format) {
    String out = newOutput(format);
    RunTables t = RunTables.open(spark, format, out);
    for (int k = 0; k < 3; k++) {
      t.appendCommit("r1", "a1", k, instances("r1", 10 * k + 1), images("r1", 10 * k + 1, 10 * k + 2));
    }
    return out;
  }

  // ---- tables by name (--register-tables) ----

  @ParameterizedTest
  @EnumSource(TableFormat.class)
  void registeredTablesShowTheRunByNameFollowItsCommitsAndRefuseAnotherOutput(TableFormat format) throws Exception {
    // SQL string literals end at a quote and escape with a backslash: a folder holding both (Parquet
    // only the quote: its commit folders are found by glob patterns, where a backslash escapes)
    String out = format == TableFormat.ICEBERG ? newOutput(format) : Files.createDirectories(
        tmp.resolve((format == TableFormat.DELTA ? "it's a \\ " : "it's a ") + format.id())).toString();
    String db = "reg_" + format.id();
    RunTables t = RunTables.open(spark, format, out);
    t.appendCommit("r1", "a1", 0, instances("r1", 1, 2), images("r1", 1, 2));
    assertEquals(List.of(db + ".instances", db + ".images"), TableRegistrar.register(spark, db, format, out, "r1"));
    assertEquals(List.of(1L, 2L), imageIds(spark.sql("SELECT image_id FROM " + db + ".images WHERE run_id = 'r1'")));

    t.appendCommit("r1", "a1", 1, instances("r1", 3), images("r1", 3));
    TableRegistrar.register(spark, db, format, out, "r1");
    assertEquals(List.of(1L, 2L, 3L), imageIds(spark.table(db + ".images")));
    assertEquals(instanceKeys(t.instances("r1")), instanceKeys(spark.table(db + ".instances")));
    assertEquals(format == TableFormat.ICEBERG ? "VIEW" : "EXTERNAL", spark.catalog().getTable(db, "images").tableType());

    String other = newOutput(format);
    RunTables.open(spark, format, other).appendCommit("r2", "b1", 0, instances("r2", 9), images("r2", 9));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> TableRegistrar.register(spark, db, format, other, "r2"));
    assertTrue(e.getMessage().contains(db + ".instances already exists"), e.getMessage());
  }

  @Test
  void registeringDeltaTablesNeedsDeltasCatalogAndExtension() {
    assertEquals(null, TableRegistrar.sessionProblem(spark, TableFormat.DELTA));
    SparkSession plain = TestSpark.session().newSession();
    String problem = TableRegistrar.sessionProblem(plain, TableFormat.DELTA);
    assertTrue(problem != null && problem.contains(
        "spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog (the session has none)")
        && problem.contains("spark.sql.extensions including io.delta.sql.DeltaSparkSessionExtension"), problem);
    for (TableFormat f : List.of(TableFormat.PARQUET, TableFormat.ICEBERG)) {
      assertEquals(null, TableRegistrar.sessionProblem(plain, f), f.id());
    }
  }

  // ---- bad outputs ----

  @Test
  void anIcebergOutputMustBeACatalogAndNamespace() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RunTables.open(spark, TableFormat.ICEBERG, tmp.resolve("x").toString()));
    assertTrue(e.getMessage().contains("is not CATALOG.NAMESPACE"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> RunTables.open(spark, TableFormat.ICEBERG, "lake"));
    assertTrue(e.getMessage().startsWith("--output 'lake' is not CATALOG.NAMESPACE"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> RunTables.open(spark, TableFormat.ICEBERG, "nocatalog.runs"));
    assertTrue(e.getMessage().contains("spark.sql.catalog.nocatalog=org.apache.iceberg.spark.SparkCatalog"), e.getMessage());
  }

  @Test
  void aBadRunIdIsRefused() {
    RunTables t = RunTables.open(spark, TableFormat.PARQUET, newOutput(TableFormat.PARQUET));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.images("../x"));
    assertTrue(e.getMessage().startsWith("run id '../x' is not usable"), e.getMessage());
  }

  // ---- rows ----

  /** Two instances per image (the first with a keypoint). */
  static Dataset<Row> instances(String runId, long... imageIds) {
    List<Row> rows = new ArrayList<>();
    for (long id : imageIds) {
      for (int i = 0; i < 2; i++) {
        List<Row> kps = i == 0 ? List.of(RowFactory.create(1f, 2f, 0.5f)) : List.of();
        rows.add(RowFactory.create(id, i, 1, "person", 0.9f, RowFactory.create(1.0, 2.0, 3.0, 4.0),
            RowFactory.create(4, 4, "04"), 4L, 0.8f, kps, "m", "1", runId));
      }
    }
    return spark.createDataFrame(rows, InstancesTable.SCHEMA).coalesce(1);
  }

  static Dataset<Row> images(String runId, long... imageIds) {
    List<Row> rows = new ArrayList<>();
    for (long id : imageIds) {
      rows.add(RowFactory.create(id, "s3a://b/" + id + ".jpg", 640, 480, "ok", null, 2, 12.5, 1000L + id,
          Timestamp.valueOf("2026-12-01 10:00:00"), null, runId));
    }
    return spark.createDataFrame(rows, ImagesTable.SCHEMA).coalesce(1);
  }

  static Row runRow(String runId, String status, int commits, String summary) {
    Timestamp t0 = Timestamp.valueOf("2026-12-06 10:00:00");
    Timestamp now = new Timestamp(t0.getTime() + 1000L * commits);
    List<Row> entries = new ArrayList<>();
    for (int k = 0; k < commits; k++) {
      entries.add(RowFactory.create(k, "a1", 2L, 4L, 2L, 0L, now));
    }
    return RowFactory.create(runId, status, "auto", "a1", 1, "maskrcnn", "1", "abc", "manifest s3a://b/in.csv", "parquet",
        2, 4L, 2L * commits, 0L, 2L * commits, 0L, 4L * commits, t0, now, summary == null ? null : now,
        ScalaApi.asScala(entries), summary);
  }

  static List<String> imageKeys(Dataset<Row> images) {
    return images.collectAsList().stream()
        .map(r -> r.getAs("image_id") + " " + r.getAs("commit") + " " + r.getAs("run_id")).sorted().toList();
  }

  static List<String> instanceKeys(Dataset<Row> instances) {
    return instances.collectAsList().stream()
        .map(r -> r.getAs("image_id") + "/" + r.getAs("instance_index") + " " + r.getAs("commit") + " " + r.getAs("run_id")
            + " " + r.getAs("category_name") + " " + r.<Row>getAs("bbox").getDouble(0) + " " + r.<Row>getAs("mask").getString(2)
            + " kp=" + r.getList(r.fieldIndex("keypoints")).size())
        .sorted().toList();
  }

  static List<Long> imageIds(Dataset<Row> rows) {
    return rows.select("image_id").collectAsList().stream().map(r -> r.getLong(0)).sorted().toList();
  }

  /** The staging folder of Parquet and Delta outputs (Iceberg's is under the images table). */
  static void assertStagingGone(TableFormat format, String out, String runId, String attempt) {
    if (format != TableFormat.ICEBERG) {
      Path staged = Path.of(java.net.URI.create(out)).resolve("_staging").resolve(runId).resolve(attempt);
      assertFalse(Files.exists(staged), staged + " is left");
    }
  }

  // ---- the formats' own readers and writers ----

  /** Every row of {@code table}, read as any reader of the format would. */
  static Dataset<Row> rawRows(TableFormat format, String out, String table) {
    return switch (format) {
      case PARQUET -> spark.read().parquet(out + "/" + table);
      case DELTA -> spark.read().format("delta").load(out + "/" + table);
      case ICEBERG -> spark.table(out + "." + table);
    };
  }

  /** What an attempt that died after this write leaves behind. */
  static void writeLikeADeadAttempt(TableFormat format, String out, String table, Dataset<Row> rows) throws Exception {
    switch (format) {
      case PARQUET -> {
        Row first = rows.select("run_id", "commit").first();
        rows.drop("run_id", "commit").write().parquet(out + "/" + table + "/run_id=" + first.getString(0) + "/commit=" + first.getInt(1));
      }
      case DELTA -> rows.write().format("delta").mode("append").save(out + "/" + table);
      case ICEBERG -> rows.writeTo(out + "." + table).append();
    }
  }

  /** The number of table versions (0 for Parquet folders, which have none). */
  static long transactions(TableFormat format, String out, String table) {
    return switch (format) {
      case PARQUET -> 0;
      case DELTA -> spark.sql("DESCRIBE HISTORY delta.`" + out + "/" + table + "`").count();
      case ICEBERG -> spark.sql("SELECT * FROM " + out + "." + table + ".snapshots").count();
    };
  }
}
