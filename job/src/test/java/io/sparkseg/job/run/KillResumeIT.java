package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.job.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.io.FileUtils;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Runs that survive, with real processes: {@code bin/sparkseg segment} (built jars, local Spark,
 * the embedded model) on 60 sample images in commits of 10 is SIGKILLed after its first commit,
 * while a second attempt started beside it is refused; the same command run again resumes, and
 * both tables equal an uninterrupted run's. Then: a finished run re-run computes nothing, a killed
 * {@code --mode replace} leaves readers the previous run, and an incremental run over 30 new and 5
 * rewritten images computes 35 and skips 25. Six commits prove what more images would: the kill
 * lands between whole commits either way. Work files: {@code job/target/kill-resume-it/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KillResumeIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(15);
  private static final int IMAGES = 60;
  private static final int COMMIT = 10;
  /** The incremental case: images on day 1, new ones on day 2, and day-1 images rewritten before day 2. */
  private static final int DAY = 30;
  private static final int REWRITTEN = 5;
  private static final String RUN = "kr";

  private static Path work;
  private static Path images;
  private static Path out;
  private static Path refOut;
  private static SparksegProcess reference;
  private static SparksegProcess killed;
  private static SparksegProcess refused;
  private static SparksegProcess resumed;
  private static JsonNode resumedSummary;

  @BeforeAll
  static void killAndResume() throws Exception {
    work = TestSpark.repoRoot().resolve("job/target/kill-resume-it");
    FileUtils.deleteDirectory(work.toFile());
    images = work.resolve("images");
    copySamples(images, 0, IMAGES);
    out = work.resolve("out");
    refOut = work.resolve("out-reference");

    reference = SparksegProcess.start(work.resolve("reference.log"), segment(images, refOut, RUN, "auto", "ref.json"));
    assertEquals(0, reference.waitFor(RUN_TIMEOUT), reference::logTail);

    // two attempts at once: one gets the run, the other fails fast naming it
    SparksegProcess a = SparksegProcess.start(work.resolve("attempt-a.log"), segment(images, out, RUN, "auto", "a.json"));
    SparksegProcess b = SparksegProcess.start(work.resolve("attempt-b.log"), segment(images, out, RUN, "auto", "b.json"));
    long end = System.nanoTime() + RUN_TIMEOUT.toNanos();
    while (a.alive() && b.alive()) {
      assertTrue(System.nanoTime() < end, "neither attempt ended");
      Thread.sleep(100);
    }
    refused = a.alive() ? b : a;
    killed = a.alive() ? a : b;
    refused.waitFor(RUN_TIMEOUT);
    // SIGKILL once the first commit is durable
    killed.killWhen(() -> anyCommitDone(out.resolve("images/run_id=" + RUN)), RUN_TIMEOUT, "the first attempt's first commit");
    assertTrue(commitsDone(out.resolve("images/run_id=" + RUN)) < IMAGES / COMMIT,
        "killed too late: every commit was already done");

    resumed = SparksegProcess.start(work.resolve("resume.log"), segment(images, out, RUN, "auto", "resume.json"));
    assertEquals(0, resumed.waitFor(RUN_TIMEOUT), resumed::logTail);
    resumedSummary = JSON.readTree(work.resolve("resume.json").toFile());
    System.out.printf("KillResumeIT: uninterrupted run %.1f s; killed after %.1f s; resume %.1f s: %d images "
            + "resumed, %d computed; time lost %.1f s%n",
        reference.seconds(), killed.seconds(), resumed.seconds(), resumedSummary.get("images_resumed").asLong(),
        resumedSummary.get("images_computed").asLong(), killed.seconds() + resumed.seconds() - reference.seconds());
  }

  @Test
  @Order(1)
  void aSecondAttemptFailedFastNamingTheRun() {
    assertEquals(2, refused.exitValue(), refused::logTail);
    assertTrue(refused.log().contains("run " + RUN + " is being written by attempt"), refused::logTail);
    assertTrue(refused.log().contains("wait for it or kill it"), refused::logTail);
  }

  @Test
  @Order(2)
  void theResumedRunTookTheCommittedImagesAndComputedTheRest() {
    JsonNode s = resumedSummary;
    assertEquals(IMAGES, s.get("images_total").asLong());
    assertTrue(s.get("images_resumed").asLong() > 0, s.toString());
    assertEquals(0, s.get("images_resumed").asLong() % COMMIT, "whole commits resumed: " + s);
    assertEquals(IMAGES, s.get("images_resumed").asLong() + s.get("images_computed").asLong(), s.toString());
    assertEquals(0, s.get("images_skipped").asLong());
    assertEquals("auto", s.get("mode").asText());
    assertEquals("parquet", s.get("table_format").asText());
    assertEquals("succeeded", s.get("status").asText());
  }

  @Test
  @Order(3)
  void everyImageOnceAndBothTablesEqualTheUninterruptedRun() {
    Dataset<Row> imgs = images(out);
    assertEquals(IMAGES, imgs.count());
    assertEquals(IMAGES, imgs.select("image_id").distinct().count());
    assertSame(images(refOut), imgs, "images");
    assertSame(instances(refOut), instances(out), "instances");
    assertTrue(instances(out).count() > 0);
  }

  @Test
  @Order(4)
  void theRunsTableSaysTheRunSucceededOverTwoAttempts() {
    List<Row> rows = spark().read().parquet(out.resolve("runs").toString()).where("run_id = '" + RUN + "'")
        .orderBy(org.apache.spark.sql.functions.col("updated_at").desc()).collectAsList();
    assertTrue(!rows.isEmpty());
    Row r = rows.get(0);
    assertEquals("succeeded", r.getAs("status"));
    assertEquals(2, (int) r.<Integer>getAs("attempts"));
    assertEquals(IMAGES, (long) r.<Long>getAs("images_committed"));
    assertEquals(IMAGES / COMMIT, r.getList(r.fieldIndex("commits")).size());
  }

  @Test
  @Order(10)
  void aFinishedRunReRunWithAutoComputesNothing() throws Exception {
    Map<String, Long> before = files(out.resolve("images"));
    before.putAll(files(out.resolve("instances")));
    SparksegProcess again = SparksegProcess.start(work.resolve("again.log"), segment(images, out, RUN, "auto", "again.json"));
    assertEquals(0, again.waitFor(RUN_TIMEOUT), again::logTail);
    Map<String, Long> after = files(out.resolve("images"));
    after.putAll(files(out.resolve("instances")));
    assertEquals(before, after, "no table file written");
    assertEquals(JSON.readTree(out.resolve("_summary/" + RUN + ".json").toFile()),
        JSON.readTree(work.resolve("again.json").toFile()), "the stored summary");
    System.out.printf("KillResumeIT: finished run re-run in %.1f s%n", again.seconds());
  }

  @Test
  @Order(11)
  void replaceKilledMidwayLeavesReadersThePreviousRun() throws Exception {
    List<Row> imgsBefore = images(out).collectAsList();
    long instancesBefore = instances(out).count();
    SparksegProcess replace = SparksegProcess.start(work.resolve("replace.log"),
        segment(images, out, RUN, "replace", "replace.json"));
    replace.killWhen(() -> anyCommitDone(out.resolve("_staging/" + RUN)), RUN_TIMEOUT, "the replace's first staged commit");
    Dataset<Row> imgs = images(out);
    assertSame(spark().createDataFrame(imgsBefore, imgs.schema()), imgs, "images after a killed replace");
    assertEquals(instancesBefore, instances(out).count());
  }

  @Test
  @Order(20)
  void incrementalRunSkipsUnchangedImagesAndRecomputesRewrittenOnes() throws Exception {
    Path inc = work.resolve("inc-images");
    Path incOut = work.resolve("inc-out");
    copySamples(inc, 0, DAY);
    SparksegProcess day1 = SparksegProcess.start(work.resolve("day1.log"),
        segment(inc, incOut, "day1", "incremental", "day1.json"));
    assertEquals(0, day1.waitFor(RUN_TIMEOUT), day1::logTail);
    copySamples(inc, DAY, DAY);
    List<Path> old = TestSpark.sampleImages(DAY);
    List<Path> spare = TestSpark.sampleImages(2 * DAY + REWRITTEN).subList(2 * DAY, 2 * DAY + REWRITTEN);
    for (int i = 0; i < REWRITTEN; i++) {
      Path target = inc.resolve(old.get(i).getFileName());
      Files.copy(spare.get(i), target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.setLastModifiedTime(target, FileTime.fromMillis(System.currentTimeMillis() + 3_600_000L));
    }
    SparksegProcess day2 = SparksegProcess.start(work.resolve("day2.log"),
        segment(inc, incOut, "day2", "incremental", "day2.json"));
    assertEquals(0, day2.waitFor(RUN_TIMEOUT), day2::logTail);
    JsonNode s = JSON.readTree(work.resolve("day2.json").toFile());
    assertEquals(2 * DAY, s.get("images_total").asLong(), s.toString());
    assertEquals(DAY + REWRITTEN, s.get("images_computed").asLong(), s.toString());
    assertEquals(DAY - REWRITTEN, s.get("images_skipped").asLong(), s.toString());
    assertEquals(0, s.get("images_resumed").asLong(), s.toString());
    assertEquals("incremental", s.get("mode").asText());
    Dataset<Row> day2Rows = spark().read().parquet(incOut.resolve("images").toString()).where("run_id = 'day2'");
    assertEquals(DAY + REWRITTEN, day2Rows.count());
    for (int i = 0; i < REWRITTEN; i++) {
      Path target = inc.resolve(old.get(i).getFileName());
      Row r = day2Rows.where("path = '" + target.toUri().toString().replace("file:///", "file:/") + "'").first();
      assertEquals(Files.size(target), (long) r.<Long>getAs("size_bytes"));
    }
    System.out.printf("KillResumeIT: incremental day 1 %.1f s (%d images), day 2 %.1f s (%d computed, %d skipped)%n",
        day1.seconds(), DAY, day2.seconds(), DAY + REWRITTEN, DAY - REWRITTEN);
  }

  private static String[] segment(Path in, Path output, String runId, String mode, String summary) {
    return new String[] {"segment", "--input", in.toString(), "--output", output.toString(), "--run-id", runId,
        "--mode", mode, "--commit-images", String.valueOf(COMMIT), "--flip-test", "off", "--batch-size", "1",
        "--progress-interval", "0", "--summary-json", work.resolve(summary).toString(),
        "--conf", "spark.ui.enabled=false"};
  }

  private static SparkSession spark() {
    return TestSpark.session();
  }

  private static Dataset<Row> images(Path output) {
    return spark().read().parquet(output.resolve("images").toString()).where("run_id = '" + RUN + "'")
        .select("image_id", "path", "width", "height", "status", "error", "num_instances", "size_bytes",
            "modified_at", "etag", "run_id");
  }

  private static Dataset<Row> instances(Path output) {
    return spark().read().parquet(output.resolve("instances").toString()).where("run_id = '" + RUN + "'")
        .select("image_id", "instance_index", "category_id", "category_name", "score", "bbox", "mask", "mask_area",
            "mask_score", "keypoints", "model_name", "model_version", "run_id");
  }

  private static void assertSame(Dataset<Row> expected, Dataset<Row> actual, String what) {
    assertEquals(expected.count(), actual.count(), what + ": rows");
    List<Row> missing = expected.exceptAll(actual).limit(3).collectAsList();
    List<Row> extra = actual.exceptAll(expected).limit(3).collectAsList();
    assertTrue(missing.isEmpty() && extra.isEmpty(), what + ": missing " + missing + ", unexpected " + extra);
  }

  /** Whether a commit folder under {@code dir} (any depth) is complete: it holds {@code _SUCCESS}. */
  private static boolean anyCommitDone(Path dir) {
    return commitsDone(dir) > 0;
  }

  private static long commitsDone(Path dir) {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.getFileName().toString().equals("_SUCCESS")).count();
    } catch (IOException | java.io.UncheckedIOException e) {
      return 0; // a folder renamed away while walking: look again
    }
  }

  /** Data files under {@code dir}: path -> size and modification time folded together. */
  private static Map<String, Long> files(Path dir) throws IOException {
    Map<String, Long> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        m.put(p.toString(), Files.size(p) * 31 + Files.getLastModifiedTime(p).toMillis());
      }
    }
    return m;
  }

  private static void copySamples(Path dir, int from, int n) throws IOException {
    Files.createDirectories(dir);
    List<Path> all = TestSpark.sampleImages(from + n);
    assertEquals(from + n, all.size(), "samples/images has too few images");
    for (Path p : all.subList(from, from + n)) {
      Files.copy(p, dir.resolve(p.getFileName()));
    }
  }
}
