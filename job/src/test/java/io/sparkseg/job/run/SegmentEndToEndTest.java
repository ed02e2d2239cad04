package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.core.image.TestImages;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.input.ImageIds;
import io.sparkseg.job.output.format.TableSchemas;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole segment command on real sample images with the real model bundle, local[4]. */
class SegmentEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path tmp;
  static Path images;
  static Path output;
  static TestSpark.CliResult first;

  @BeforeAll
  static void runOnce() throws Exception {
    TestSpark.requireModel();
    images = tmp.resolve("images");
    TestSpark.copySamples(images, 3);
    output = tmp.resolve("out");
    first = TestSpark.cli("segment", "--input", images.toString(), "--output", output.toString(),
        "--model", TestSpark.modelDir().toString(), "--run-id", "r1", "--batch-size", "2", "--score-threshold", "0.05",
        "--summary-json", tmp.resolve("summary.json").toString(),
        "--coco-results", tmp.resolve("results.json").toString(),
        "--register-tables", "segdb", "--progress-interval", "1");
    System.out.println("segment run summary: " + first.out());
  }

  private static SparkSession spark() {
    return TestSpark.session();
  }

  @Test
  void writesBothTablesWithTheDocumentedSchemas() {
    assertEquals(0, first.exitCode(), first.err());
    Dataset<Row> inst = spark().read().parquet(output.resolve("instances").toString());
    Dataset<Row> imgs = spark().read().parquet(output.resolve("images").toString());
    assertSchema(TableSchemas.INSTANCES_TABLE, inst.schema());
    assertSchema(TableSchemas.IMAGES_TABLE, imgs.schema());
    assertTrue(Files.isDirectory(output.resolve("instances/run_id=r1")));
    assertTrue(Files.isDirectory(output.resolve("images/run_id=r1")));
  }

  private static void assertSchema(StructType expected, StructType actual) {
    // Parquet reads come back nullable; compare names and types
    List<String> e = List.of(expected.fieldNames());
    List<String> a = List.of(actual.fieldNames());
    assertEquals(e, a);
    for (StructField f : expected.fields()) {
      assertEquals(f.dataType().asNullable().simpleString(), actual.apply(f.name()).dataType().asNullable().simpleString(), f.name());
    }
  }

  @Test
  void everyImageAppearsExactlyOnceWithStableIds() {
    List<Row> rows = spark().read().parquet(output.resolve("images").toString()).where("run_id = 'r1'").collectAsList();
    assertEquals(3, rows.size());
    Set<Long> ids = new HashSet<>();
    for (Row r : rows) {
      assertEquals("ok", r.getAs("status"), String.valueOf(r.<String>getAs("error")));
      String path = r.getAs("path");
      assertEquals(ImageIds.fromNormalizedPath(path), (long) r.<Long>getAs("image_id"));
      assertTrue(path.startsWith("file:/"), path);
      assertTrue(r.<Integer>getAs("width") > 0 && r.<Integer>getAs("height") > 0);
      assertNotNull(r.getAs("inference_ms"));
      ids.add(r.getAs("image_id"));
    }
    assertEquals(3, ids.size());
  }

  @Test
  void instancesAreConsistentWithImages() {
    Dataset<Row> inst = spark().read().parquet(output.resolve("instances").toString()).where("run_id = 'r1'");
    Dataset<Row> imgs = spark().read().parquet(output.resolve("images").toString()).where("run_id = 'r1'");
    long sum = imgs.agg(org.apache.spark.sql.functions.sum("num_instances")).first().getLong(0);
    assertEquals(sum, inst.count());
    assertTrue(sum > 0, "the model should find something in 3 sample images at score >= 0.05");
    for (Row r : inst.collectAsList()) {
      Row mask = r.getAs("mask");
      assertTrue(mask.getInt(0) > 0 && mask.getInt(1) > 0 && !mask.getString(2).isEmpty());
      assertTrue(r.<Long>getAs("mask_area") >= 0);
      float score = r.getAs("score");
      assertTrue(score >= 0 && score <= 1);
      // score times the mean foreground probability, which lies above the 0.5 mask threshold
      float maskScore = r.getAs("mask_score");
      if (r.<Long>getAs("mask_area") > 0) {
        assertTrue(maskScore > 0.5f * score && maskScore <= score, maskScore + " for score " + score);
      } else {
        assertEquals(0f, maskScore);
      }
      assertEquals("sparkseg-synthetic-maskrcnn", r.getAs("model_name"));
      assertFalse(r.<String>getAs("model_version").isEmpty());
    }
    // instance_index is 0..n-1 within each image
    long bad = inst.groupBy("image_id").agg(
            org.apache.spark.sql.functions.max("instance_index").as("mx"),
            org.apache.spark.sql.functions.count("*").as("n"))
        .where("mx + 1 != n").count();
    assertEquals(0, bad);
  }

  @Test
  void summaryIsWrittenBesideTheOutputAndToTheRequestedFile() throws Exception {
    JsonNode s = JSON.readTree(tmp.resolve("summary.json").toFile());
    JsonNode beside = JSON.readTree(output.resolve("_summary/r1.json").toFile());
    assertEquals(s, beside);
    assertEquals("r1", s.get("run_id").asText());
    assertEquals(3, s.get("images_total").asInt());
    assertEquals(3, s.get("images_by_status").get("ok").asInt());
    assertTrue(s.get("images_per_second").asDouble() > 0);
    assertTrue(s.get("timings").get("wall_s").asDouble() > 0);
    assertTrue(first.out().contains("\"run_id\" : \"r1\""), "summary printed");
    long instances = spark().read().parquet(output.resolve("instances").toString()).where("run_id = 'r1'").count();
    assertEquals(instances, s.get("instances_total").asLong());
  }

  /** An incremental run skips only what an earlier run computed with the same detection settings. */
  @Test
  void incrementalRunsSkipOnlyImagesSegmentedWithTheSameSettings() throws Exception {
    Path out = tmp.resolve("out-incremental"); // apart: the other tests count r1's output
    int[] skipped = new int[3];
    String[] thresholds = {"0.05", "0.3", "0.3"};
    for (int i = 0; i < 3; i++) {
      Path summary = tmp.resolve("inc-" + i + ".json");
      TestSpark.CliResult r = TestSpark.cli("segment", "--input", images.toString(), "--output", out.toString(),
          "--model", TestSpark.modelDir().toString(), "--run-id", "day" + i, "--mode", "incremental",
          "--batch-size", "2", "--score-threshold", thresholds[i], "--summary-json", summary.toString());
      assertEquals(0, r.exitCode(), r.err());
      JsonNode s = JSON.readTree(summary.toFile());
      assertEquals(Float.parseFloat(thresholds[i]), (float) s.get("model").get("score_threshold").asDouble());
      assertEquals("fp32", s.get("model").get("precision").asText());
      skipped[i] = s.get("images_skipped").asInt();
    }
    assertEquals(0, skipped[0], "nothing before the first run");
    assertEquals(0, skipped[1], "another score threshold keeps other detections: segmented again");
    assertEquals(3, skipped[2], "the same threshold as the run before: all skipped");
  }

  @Test
  void flipTestOffKeepsTheDetectionsAndMovesOnlyMasksAndKeypoints() throws Exception {
    // one image per forward pass in both runs: batches of other sizes pad differently and move the last digits
    List<List<Row>> runs = new java.util.ArrayList<>();
    for (String flip : List.of("on", "off")) {
      Path out = tmp.resolve("out-flip-" + flip); // apart: the other tests count r1's output
      TestSpark.CliResult r = TestSpark.cli("segment", "--input", images.toString(), "--output", out.toString(),
          "--model", TestSpark.modelDir().toString(), "--run-id", "flip-" + flip, "--batch-size", "1",
          "--score-threshold", "0.05", "--flip-test", flip, "--summary-json", tmp.resolve(flip + ".json").toString());
      assertEquals(0, r.exitCode(), r.err());
      assertEquals(flip.equals("on"),
          JSON.readTree(tmp.resolve(flip + ".json").toFile()).get("model").get("flip_test").asBoolean());
      runs.add(spark().read().parquet(out.resolve("instances").toString())
          .selectExpr("image_id", "instance_index", "category_id", "score", "bbox", "mask", "keypoints")
          .orderBy("image_id", "instance_index").collectAsList());
    }
    assertTrue(JSON.readTree(tmp.resolve("summary.json").toFile()).get("model").get("flip_test").asBoolean(),
        "the embedded bundle flips by default");
    List<Row> flipped = runs.get(0);
    List<Row> plain = runs.get(1);
    assertEquals(flipped.size(), plain.size(), "the flip does not change which objects are found");
    int masksMoved = 0;
    int keypointsMoved = 0;
    for (int i = 0; i < flipped.size(); i++) {
      Row a = flipped.get(i);
      Row b = plain.get(i);
      assertEquals(a.getLong(0), b.getLong(0));
      assertEquals(a.getInt(2), b.getInt(2));
      assertEquals(a.getFloat(3), b.getFloat(3), 1e-4);
      for (int k = 0; k < 4; k++) {
        assertEquals(a.getStruct(4).getDouble(k), b.getStruct(4).getDouble(k), 1e-2, "same box");
      }
      masksMoved += a.get(5).equals(b.get(5)) ? 0 : 1;
      keypointsMoved += a.isNullAt(6) || a.get(6).equals(b.get(6)) ? 0 : 1;
    }
    assertTrue(masksMoved > 0 && keypointsMoved > 0, masksMoved + " masks, " + keypointsMoved + " keypoint sets moved");
  }

  @Test
  void cocoResultsFileHasLoadResShape() throws Exception {
    JsonNode arr = JSON.readTree(tmp.resolve("results.json").toFile());
    assertTrue(arr.isArray() && arr.size() > 0);
    for (JsonNode d : arr) {
      assertTrue(d.get("image_id").isIntegralNumber());
      assertTrue(d.get("category_id").isInt());
      assertTrue(d.get("score").isNumber());
      assertEquals(4, d.get("bbox").size());
      assertEquals(2, d.get("segmentation").get("size").size());
      assertTrue(d.get("segmentation").get("counts").isTextual());
      assertTrue(d.get("mask_score").asDouble() <= d.get("score").asDouble());
    }
  }

  @Test
  void tablesAreRegisteredInTheMetastore() {
    assertEquals(3, spark().sql("SELECT * FROM segdb.images WHERE run_id = 'r1'").count());
    long inst = spark().read().parquet(output.resolve("instances").toString()).where("run_id = 'r1'").count();
    assertEquals(inst, spark().sql("SELECT * FROM segdb.instances WHERE run_id = 'r1'").count());
    List<String> parts = spark().sql("SHOW PARTITIONS segdb.images").collectAsList().stream()
        .map(r -> r.getString(0)).collect(Collectors.toList());
    assertTrue(parts.contains("run_id=r1/commit=0"), parts.toString());
  }

  @Test
  void replacingARunIdReplacesItsRowsAndKeepsOthers() throws Exception {
    Path three = tmp.resolve("tiny3");
    Path two = tmp.resolve("tiny2");
    Files.createDirectories(three);
    Files.createDirectories(two);
    for (int i = 0; i < 3; i++) {
      Files.write(three.resolve("t" + i + ".jpg"), TestImages.jpeg(96 + 8 * i, 64));
    }
    for (int i = 0; i < 2; i++) {
      Files.write(two.resolve("u" + i + ".png"), TestImages.png(80, 60 + 4 * i));
    }
    Path out2 = tmp.resolve("out2");
    String model = TestSpark.modelDir().toString();
    assertEquals(0, TestSpark.cli("segment", "--input", three.toString(), "--output", out2.toString(),
        "--model", model, "--run-id", "keep", "--progress-interval", "0", "--score-threshold", "0.05").exitCode());
    assertEquals(0, TestSpark.cli("segment", "--input", three.toString(), "--output", out2.toString(),
        "--model", model, "--run-id", "again", "--progress-interval", "0", "--score-threshold", "0.05").exitCode());
    // the second run of "again": other images, and no instances at all (threshold 1.0); a finished run
    // of other input is refused unless replaced
    TestSpark.CliResult refused = TestSpark.cli("segment", "--input", two.toString(), "--output", out2.toString(),
        "--model", model, "--run-id", "again", "--progress-interval", "0", "--score-threshold", "1.0");
    assertEquals(2, refused.exitCode(), refused.err());
    assertTrue(refused.err().contains("run again was written from input files " + three)
        && refused.err().contains("this invocation has input files " + two) && refused.err().contains("--mode replace"),
        refused.err());
    TestSpark.CliResult rerun = TestSpark.cli("segment", "--input", two.toString(), "--output", out2.toString(),
        "--model", model, "--run-id", "again", "--progress-interval", "0", "--score-threshold", "1.0",
        "--mode", "replace");
    assertEquals(0, rerun.exitCode(), rerun.err());
    Dataset<Row> all = spark().read().parquet(out2.resolve("images").toString());
    assertEquals(3, all.where("run_id = 'keep'").count());
    assertEquals(2, all.where("run_id = 'again'").count(), "re-run replaced, no duplicates");
    assertEquals(Set.of("u0.png", "u1.png"), all.where("run_id = 'again'").collectAsList().stream()
        .map(r -> Path.of(r.<String>getAs("path").substring(5)).getFileName().toString()).collect(Collectors.toSet()));
    Dataset<Row> inst = spark().read().parquet(out2.resolve("instances").toString());
    assertEquals(0, inst.where("run_id = 'again'").count(), "old instances of the run are gone");
    long keep = all.where("run_id = 'keep'").agg(org.apache.spark.sql.functions.sum("num_instances")).first().getLong(0);
    assertEquals(keep, inst.where("run_id = 'keep'").count());
    // no staging leftovers anywhere under the output: no committer work folders, no staged commits
    try (var s = Files.list(out2.resolve("images"))) {
      assertEquals(Set.of("run_id=keep", "run_id=again"), s.map(p -> p.getFileName().toString())
          .filter(n -> !n.equals("_SUCCESS") && !n.endsWith(".crc")).collect(Collectors.toSet()));
    }
    try (var s = Files.walk(out2)) {
      List<String> leftovers = s.map(p -> out2.relativize(p).toString())
          .filter(n -> n.contains("_temporary") || n.contains(".spark-staging") || n.startsWith("_staging/again/"))
          .collect(Collectors.toList());
      assertEquals(List.of(), leftovers, "staging leftovers under " + out2);
    }
  }
}
