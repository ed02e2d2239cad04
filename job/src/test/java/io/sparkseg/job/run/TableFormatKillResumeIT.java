package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.output.format.FormatSession;
import io.sparkseg.job.output.format.RunTables;
import io.sparkseg.job.output.format.TableFormat;
import io.sparkseg.job.output.format.TableSchemas;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.commons.io.FileUtils;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Runs that survive in Delta and Iceberg, with real processes: {@code bin/sparkseg segment} over a
 * manifest of 6 sample images and 18 missing files (status rows, no model cost) in commits of 6,
 * writing Delta path tables and, at the same time, Iceberg tables in a local Hadoop catalog set
 * from {@code conf/iceberg-local.properties}, is SIGKILLed once its log says commit 0 is done; the
 * same command run again resumes. Each format's tables then hold every image once, equal an
 * uninterrupted run's, and their history one append per commit. The uninterrupted run is an
 * in-process Parquet run of the same manifest and settings: the rows do not depend on the format
 * or the process ({@code TableFormatRunsTest} shows the formats equal; KillResumeIT a process
 * against a process), and it costs no JVM start. Work files: {@code job/target/table-format-kill-resume-it/}.
 */
class TableFormatKillResumeIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(15);
  private static final int SAMPLES = 6;
  private static final int MISSING = 18;
  private static final int IMAGES = SAMPLES + MISSING;
  private static final int COMMIT = 6;
  private static final int COMMITS = IMAGES / COMMIT;
  private static final String RUN = "kf";
  /** The shipped Iceberg example's catalog; the test session reads the same warehouse as {@link FormatSession#CATALOG}. */
  private static final String SHIPPED_CATALOG = "local";

  private static Path work;
  private static Path manifest;
  private static Path warehouse;
  private static SparkSession spark;
  private static final Map<TableFormat, JsonNode> RESUMED = new EnumMap<>(TableFormat.class);
  private static List<String> referenceImages;
  private static List<String> referenceInstances;
  private static ExecutorService pool;
  private static final List<SparksegProcess> STARTED = java.util.Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  static void killAndResumeInEachFormat() throws Exception {
    long t0 = System.nanoTime();
    work = TestSpark.repoRoot().resolve("job/target/table-format-kill-resume-it");
    FileUtils.deleteDirectory(work.toFile());
    Files.createDirectories(work);
    manifest = writeManifest(work.resolve("manifest.csv"));
    warehouse = work.resolve("warehouse");
    pool = Executors.newFixedThreadPool(2);
    List<Future<JsonNode>> runs = new ArrayList<>();
    for (TableFormat f : List.of(TableFormat.DELTA, TableFormat.ICEBERG)) {
      runs.add(pool.submit(() -> killAndResume(f)));
    }
    // meanwhile, the uninterrupted run, in this JVM
    long r0 = System.nanoTime();
    Path ref = work.resolve("reference");
    TestSpark.CliResult r = TestSpark.cli(segment(TableFormat.PARQUET, ref.toString(), "reference.json"));
    assertEquals(0, r.exitCode(), r.err());
    RunTables refTables = RunTables.open(TestSpark.session(), TableFormat.PARQUET, ref.toString());
    referenceImages = imageRows(refTables);
    referenceInstances = instanceRows(refTables);
    System.out.printf("TableFormatKillResumeIT: uninterrupted in-process parquet run %.1f s%n", (System.nanoTime() - r0) / 1e9);
    for (Future<JsonNode> f : runs) {
      JsonNode s = unwrap(f);
      RESUMED.put(TableFormat.valueOf(s.get("table_format").asText().toUpperCase(java.util.Locale.ROOT)), s);
    }
    spark = FormatSession.open(warehouse);
    System.out.printf("TableFormatKillResumeIT: set-up %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  @AfterAll
  static void stopWhatIsLeft() throws InterruptedException {
    if (pool != null) {
      pool.shutdownNow();
    }
    for (SparksegProcess p : STARTED) {
      if (p.alive()) {
        p.kill(); // a failed set-up leaves no process behind
      }
    }
  }

  /** Starts the run in {@code format}, SIGKILLs it after its first commit, resumes it; the resume's summary. */
  private static JsonNode killAndResume(TableFormat format) throws Exception {
    String out = output(format);
    String[] args = segment(format, out, format.id() + "-resume.json");
    SparksegProcess killed = SparksegProcess.start(work.resolve(format.id() + "-killed.log"), args);
    STARTED.add(killed);
    killed.killWhen(() -> killed.logged("run " + RUN + ": commit 0 done"), RUN_TIMEOUT, format.id() + " commit 0");
    SparksegProcess resumed = SparksegProcess.start(work.resolve(format.id() + "-resume.log"), args);
    STARTED.add(resumed);
    assertEquals(0, resumed.waitFor(RUN_TIMEOUT), resumed::logTail);
    JsonNode s = JSON.readTree(work.resolve(format.id() + "-resume.json").toFile());
    System.out.printf("TableFormatKillResumeIT: %s killed after %.1f s; resume %.1f s: %d images resumed, %d computed%n",
        format.id(), killed.seconds(), resumed.seconds(), s.get("images_resumed").asLong(),
        s.get("images_computed").asLong());
    return s;
  }

  private static JsonNode unwrap(Future<JsonNode> f) throws Exception {
    try {
      return f.get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception x ? x : e;
    }
  }

  /** Where the run goes: a folder for Delta (and Parquet), CATALOG.NAMESPACE for Iceberg. */
  private static String output(TableFormat format) {
    return format == TableFormat.ICEBERG ? SHIPPED_CATALOG + "." + RUN : work.resolve(format.id()).toString();
  }

  private static String[] segment(TableFormat format, String out, String summary) throws IOException {
    List<String> a = new ArrayList<>(List.of("segment", "--manifest", manifest.toString(), "--output", out,
        "--table-format", format.id(), "--model", TestSpark.modelDir().toString(), "--run-id", RUN,
        "--commit-images", String.valueOf(COMMIT), "--flip-test", "off", "--batch-size", "1",
        "--progress-interval", "0", "--summary-json", work.resolve(summary).toString(),
        "--conf", "spark.ui.enabled=false"));
    if (format == TableFormat.ICEBERG) {
      // the shipped example, as README shows it: each line a --conf, the warehouse ours
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(TestSpark.repoRoot().resolve("conf/iceberg-local.properties"))) {
        p.load(in);
      }
      p.setProperty("spark.sql.catalog." + SHIPPED_CATALOG + ".warehouse", warehouse.toUri().toString());
      for (String k : new TreeMap<>(p).keySet().stream().map(Object::toString).toList()) {
        a.addAll(List.of("--conf", k + "=" + p.getProperty(k)));
      }
    }
    return a.toArray(String[]::new);
  }

  /** {@code path,image_id}: the sample images and paths to files that do not exist, interleaved. */
  private static Path writeManifest(Path target) throws IOException {
    List<Path> samples = TestSpark.sampleImages(SAMPLES);
    assertEquals(SAMPLES, samples.size(), "samples/images has too few images");
    StringBuilder csv = new StringBuilder("path,image_id\n");
    int perSample = IMAGES / SAMPLES;
    for (int i = 0; i < IMAGES; i++) {
      Path p = i % perSample == 0 ? samples.get(i / perSample) : work.resolve("absent/" + i + ".jpg");
      csv.append(p.toAbsolutePath()).append(',').append(1000 + i).append('\n');
    }
    Files.writeString(target, csv, StandardCharsets.UTF_8);
    return target;
  }

  @ParameterizedTest
  @EnumSource(value = TableFormat.class, names = {"DELTA", "ICEBERG"})
  void theResumeTookWholeCommitsAndComputedTheRest(TableFormat f) {
    JsonNode s = RESUMED.get(f);
    long resumed = s.get("images_resumed").asLong();
    assertTrue(resumed > 0, s.toString());
    assertTrue(resumed < IMAGES, "killed before the last commit: " + s);
    assertEquals(0, resumed % COMMIT, "whole commits resumed: " + s);
    assertEquals(IMAGES, s.get("images_total").asLong(), s.toString());
    assertEquals(IMAGES, resumed + s.get("images_computed").asLong(), s.toString());
    assertEquals("succeeded", s.get("status").asText(), s.toString());
    assertEquals(2, s.get("attempts").asInt(), s.toString());
  }

  @ParameterizedTest
  @EnumSource(value = TableFormat.class, names = {"DELTA", "ICEBERG"})
  void everyImageOnceNoInstanceTwiceAndNoOrphan(TableFormat f) {
    Dataset<Row> images = raw(f, TableSchemas.IMAGES);
    Dataset<Row> instances = raw(f, TableSchemas.INSTANCES);
    assertEquals(IMAGES, images.count(), f.id() + " images rows");
    assertEquals(IMAGES, images.select("image_id").distinct().count(), f.id() + ": no image twice");
    long n = instances.count();
    assertTrue(n > 0, f.id() + ": the model finds something in " + SAMPLES + " sample images");
    assertEquals(n, instances.select("image_id", "instance_index").distinct().count(), f.id() + ": no instance twice");
    assertEquals(0, instances.join(images, instances.col("image_id").equalTo(images.col("image_id")), "left_anti").count(),
        f.id() + ": instances whose image has no images row");
  }

  @ParameterizedTest
  @EnumSource(value = TableFormat.class, names = {"DELTA", "ICEBERG"})
  void theTablesEqualTheUninterruptedRun(TableFormat f) {
    RunTables t = RunTables.open(spark, f, f == TableFormat.ICEBERG ? FormatSession.CATALOG + "." + RUN : output(f));
    assertEquals(referenceImages, imageRows(t), f.id() + " images");
    assertEquals(referenceInstances, instanceRows(t), f.id() + " instances");
  }

  /**
   * One append per commit per table over both attempts: the killed attempt's commits 0..r-1, the
   * resume's r..last (r = images_resumed / commit size). A commit in flight at the kill leaves no
   * images append (images are written last, and a commit counts as done once they are); it may
   * leave its instances append, and then the resume's one delete of those orphans comes before it
   * appends that commit again.
   */
  @ParameterizedTest
  @EnumSource(value = TableFormat.class, names = {"DELTA", "ICEBERG"})
  void theHistoryHasOneAppendPerCommitPerTable(TableFormat f) throws IOException {
    JsonNode s = RESUMED.get(f);
    String resume = s.get("attempt").asText();
    int r = (int) (s.get("images_resumed").asLong() / COMMIT);
    for (String table : List.of(TableSchemas.IMAGES, TableSchemas.INSTANCES)) {
      List<Txn> history = f == TableFormat.DELTA ? deltaHistory(table) : icebergHistory(table);
      List<Txn> appends = history.stream().filter(t -> t.commit() != null).toList();
      List<Txn> others = history.stream().filter(t -> t.commit() == null).toList();
      String killedAttempt = appends.get(0).attempt();
      List<Integer> byKilled = commits(appends, killedAttempt);
      List<Integer> byResume = commits(appends, resume);
      assertEquals(appends.size(), byKilled.size() + byResume.size(), f.id() + " " + table + ": two attempts " + history);
      assertEquals(range(r, COMMITS), byResume, f.id() + " " + table + ": the resume's appends " + history);
      boolean inFlight = table.equals(TableSchemas.INSTANCES) && byKilled.size() == r + 1;
      assertEquals(range(0, inFlight ? r + 1 : r), byKilled, f.id() + " " + table + ": the killed attempt's appends " + history);
      // the killed attempt's appends all come before the resume's
      int lastKilled = history.lastIndexOf(appends.get(byKilled.size() - 1));
      int firstResume = history.indexOf(appends.get(byKilled.size()));
      assertTrue(lastKilled < firstResume, history.toString());
      List<Txn> expectedOthers = others.stream().filter(t -> !t.operation().equals(CREATE)).toList();
      assertEquals(inFlight ? 1 : 0, expectedOthers.size(), f.id() + " " + table + ": besides appends " + history);
      if (inFlight) {
        int delete = history.indexOf(expectedOthers.get(0));
        assertTrue(lastKilled < delete && delete < firstResume, "the orphans' delete between the attempts: " + history);
      }
      System.out.printf("TableFormatKillResumeIT: %s %s: %d transactions: killed attempt appended commits %s, "
          + "resume %s, other %s%n", f.id(), table, history.size(), byKilled, byResume, others);
    }
  }

  private static final String CREATE = "CREATE TABLE";

  /** A table transaction: an append names its attempt and commit; others (create, delete) do not. */
  record Txn(String operation, String attempt, Integer commit) {}

  /** The Delta log of the table: each version's operation and, for sparkseg's appends, its txn identity. */
  private static List<Txn> deltaHistory(String table) throws IOException {
    Path log = Path.of(output(TableFormat.DELTA), table, "_delta_log");
    List<Path> versions;
    try (Stream<Path> s = Files.list(log)) {
      versions = s.filter(p -> p.getFileName().toString().matches("\\d{20}\\.json")).sorted().toList();
    }
    String prefix = "sparkseg:" + RUN + ":";
    List<Txn> out = new ArrayList<>();
    for (Path v : versions) {
      String operation = null;
      String attempt = null;
      Integer commit = null;
      for (String line : Files.readAllLines(v, StandardCharsets.UTF_8)) {
        JsonNode a = JSON.readTree(line);
        if (a.has("commitInfo")) {
          operation = a.get("commitInfo").get("operation").asText();
        }
        if (a.has("txn") && a.get("txn").get("appId").asText().startsWith(prefix)) {
          String id = a.get("txn").get("appId").asText();
          attempt = id.substring(prefix.length(), id.lastIndexOf(':'));
          commit = a.get("txn").get("version").asInt();
        }
      }
      out.add(new Txn(operation, attempt, commit));
    }
    return out;
  }

  /** The Iceberg table's snapshots, oldest first; sparkseg's appends carry their attempt and commit. */
  private static List<Txn> icebergHistory(String table) {
    List<Txn> out = new ArrayList<>();
    for (Row r : spark.sql("SELECT operation, summary['sparkseg.attempt'], summary['sparkseg.commit'] FROM "
        + FormatSession.CATALOG + "." + RUN + "." + table + ".snapshots ORDER BY committed_at")
        .collectAsList()) {
      out.add(new Txn(r.getString(0), r.getString(1), r.isNullAt(2) ? null : Integer.valueOf(r.getString(2))));
    }
    return out;
  }

  private static List<Integer> commits(List<Txn> appends, String attempt) {
    return appends.stream().filter(t -> attempt.equals(t.attempt())).map(Txn::commit).toList();
  }

  private static List<Integer> range(int from, int to) {
    return java.util.stream.IntStream.range(from, to).boxed().toList();
  }

  /** Every row of the format's table as its readers see it, orphans included. */
  private static Dataset<Row> raw(TableFormat f, String table) {
    Dataset<Row> rows = f == TableFormat.DELTA ? spark.read().format("delta").load(output(f) + "/" + table)
        : spark.table(FormatSession.CATALOG + "." + RUN + "." + table);
    return rows.where("run_id = '" + RUN + "'");
  }

  /**
   * The run's committed images rows as sorted text, without the timing and the commit number: the
   * resumed plan numbers the images left in its own order, which need not be the uninterrupted run's.
   */
  private static List<String> imageRows(RunTables t) {
    return RowsText.of(t.images(RUN).drop("inference_ms", TableSchemas.COMMIT));
  }

  private static List<String> instanceRows(RunTables t) {
    return RowsText.of(t.instances(RUN).drop(TableSchemas.COMMIT));
  }
}
