package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.sparkseg.job.TestSpark;
import io.sparkseg.job.input.InputResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The incremental skip rule on hand-made images and runs tables, and file identities from the file system. */
class IncrementalSkipTest {
  private static final StructType IMAGES = new StructType()
      .add("image_id", DataTypes.LongType).add("path", DataTypes.StringType).add("status", DataTypes.StringType)
      .add("size_bytes", DataTypes.LongType).add("modified_at", DataTypes.TimestampType)
      .add("etag", DataTypes.StringType).add("run_id", DataTypes.StringType);
  private static final StructType RUNS = new StructType()
      .add("run_id", DataTypes.StringType).add("status", DataTypes.StringType)
      .add("model_name", DataTypes.StringType).add("model_version", DataTypes.StringType)
      .add("model_sha256", DataTypes.StringType).add("summary", DataTypes.StringType);
  // this run: fp16 with flip test off and a 0.3 score threshold, where the bundle's defaults (what a
  // summary that predates a setting ran with) are fp32, flip on, thresholds 0.05 and 0.5
  private static final IncrementalSkip.Settings DEFAULTS = new IncrementalSkip.Settings("fp32", true, 0.05f, 0.5f);
  private static final IncrementalSkip.Model MODEL =
      new IncrementalSkip.Model("m", "1.0", "abc", new IncrementalSkip.Settings("fp16", false, 0.3f, 0.5f));
  private static final String SAME = summary("\"precision\":\"fp16\",\"flip_test\":false,\"score_threshold\":0.3,"
      + "\"mask_threshold\":0.5");
  private static final Timestamp T = new Timestamp(1_700_000_000_123L);
  private static final Timestamp T2 = new Timestamp(1_700_000_999_000L);

  @TempDir
  Path tmp;

  @Test
  void skipsOnlyUnchangedOkImagesOfSucceededRunsWithTheSameModel() {
    SparkSession spark = TestSpark.session();
    Dataset<Row> runs = spark.createDataFrame(List.of(
        RowFactory.create("old", "succeeded", "m", "1.0", "abc", SAME),
        RowFactory.create("older", "succeeded", "m", "1.0", "abc", SAME),
        RowFactory.create("broken", "failed", "m", "1.0", "abc", null),
        RowFactory.create("retrained", "succeeded", "m", "1.0", "def", SAME),
        RowFactory.create("v2", "succeeded", "m", "2.0", "abc", SAME),
        RowFactory.create("now", "running", "m", "1.0", "abc", null),
        // the same model with other settings: each changes the detections
        RowFactory.create("fp32", "succeeded", "m", "1.0", "abc", SAME.replace("fp16", "fp32")),
        RowFactory.create("flipped", "succeeded", "m", "1.0", "abc", SAME.replace("false", "true")),
        RowFactory.create("score", "succeeded", "m", "1.0", "abc", SAME.replace("0.3", "0.05")),
        RowFactory.create("mask", "succeeded", "m", "1.0", "abc", SAME.replace("\"mask_threshold\":0.5",
            "\"mask_threshold\":0.4")),
        // a summary from before precision and thresholds were recorded: fp32, so not this run's fp16
        RowFactory.create("unrecorded", "succeeded", "m", "1.0", "abc", summary("\"flip_test\":false"))), RUNS);
    List<Row> images = new ArrayList<>();
    List<Row> input = new ArrayList<>();
    Map<String, Long> ids = new TreeMap<>();
    // name -> (earlier run, earlier status, earlier size/time/etag) vs the input's size/time/etag
    earlier(images, "same", "old", "ok", 10L, T, null);
    current(input, ids, "same", 10L, T, null);
    earlier(images, "resized", "old", "ok", 10L, T, null);
    current(input, ids, "resized", 11L, T, null);
    earlier(images, "touched", "old", "ok", 10L, T, null);
    current(input, ids, "touched", 10L, T2, null);
    earlier(images, "failed-image", "old", "decode_error", 10L, T, null);
    current(input, ids, "failed-image", 10L, T, null);
    earlier(images, "failed-run", "broken", "ok", 10L, T, null);
    current(input, ids, "failed-run", 10L, T, null);
    earlier(images, "other-model", "retrained", "ok", 10L, T, null);
    earlier(images, "other-model", "v2", "ok", 10L, T, null);
    current(input, ids, "other-model", 10L, T, null);
    for (String run : List.of("fp32", "flipped", "score", "mask", "unrecorded")) {
      earlier(images, "other-settings", run, "ok", 10L, T, null);
    }
    current(input, ids, "other-settings", 10L, T, null);
    earlier(images, "etag-changed", "old", "ok", 10L, T, "\"x\"");
    current(input, ids, "etag-changed", 10L, T, "\"y\"");
    earlier(images, "etag-same", "old", "ok", 10L, T, "\"x\"");
    current(input, ids, "etag-same", 10L, T, "\"x\"");
    earlier(images, "etag-appeared", "old", "ok", 10L, T, null);
    current(input, ids, "etag-appeared", 10L, T, "\"x\"");
    earlier(images, "this-run", "now", "ok", 10L, T, null);
    current(input, ids, "this-run", 10L, T, null);
    earlier(images, "unknown-now", "old", "ok", null, null, null);
    current(input, ids, "unknown-now", null, null, null);
    earlier(images, "twice", "old", "ok", 10L, T, null);
    earlier(images, "twice", "older", "ok", 10L, T, null);
    current(input, ids, "twice", 10L, T, null);
    current(input, ids, "new", 10L, T, null);

    List<Row> skipped = IncrementalSkip.skippedIds(spark.createDataFrame(input, IncrementalSkip.IDENTIFIED),
        spark.createDataFrame(images, IMAGES), runs, MODEL, DEFAULTS, "now").collectAsList();
    Set<String> names = new TreeSet<>();
    for (Row r : skipped) {
      ids.forEach((name, id) -> {
        if (id == r.getLong(0)) {
          names.add(name);
        }
      });
    }
    assertEquals(skipped.size(), names.size(), "each skipped image once");
    assertEquals(Set.of("same", "etag-same", "twice"), names);
  }

  @Test
  void tablesWrittenBeforeContentColumnsSkipNothing() {
    SparkSession spark = TestSpark.session();
    Dataset<Row> oldImages = spark.createDataFrame(
        List.of(RowFactory.create(1L, "file:/a.jpg", "ok", "old")),
        new StructType().add("image_id", DataTypes.LongType).add("path", DataTypes.StringType)
            .add("status", DataTypes.StringType).add("run_id", DataTypes.StringType));
    Dataset<Row> runs = spark.createDataFrame(List.of(RowFactory.create("old", "succeeded", "m", "1.0", "abc", SAME)),
        RUNS);
    Dataset<Row> in = spark.createDataFrame(List.of(RowFactory.create(1L, "file:/a.jpg", 10L, T, null)),
        IncrementalSkip.IDENTIFIED);
    assertEquals(0, IncrementalSkip.skippedIds(in, oldImages, runs, MODEL, DEFAULTS, "now").count());
  }

  /** A run recorded before the settings were is taken to have run with the bundle's defaults. */
  @Test
  void aSummaryWithoutTheSettingsCountsAsTheBundlesDefaults() {
    SparkSession spark = TestSpark.session();
    Dataset<Row> runs = spark.createDataFrame(List.of(
        RowFactory.create("old", "succeeded", "m", "1.0", "abc", summary("\"flip_test\":true"))), RUNS);
    List<Row> images = new ArrayList<>();
    List<Row> input = new ArrayList<>();
    Map<String, Long> ids = new TreeMap<>();
    earlier(images, "a", "old", "ok", 10L, T, null);
    current(input, ids, "a", 10L, T, null);
    Dataset<Row> in = spark.createDataFrame(input, IncrementalSkip.IDENTIFIED);
    Dataset<Row> earlier = spark.createDataFrame(images, IMAGES);
    assertEquals(1, IncrementalSkip.skippedIds(in, earlier, runs, new IncrementalSkip.Model("m", "1.0", "abc", DEFAULTS),
        DEFAULTS, "now").count(), "the defaults: skipped");
    assertEquals(0, IncrementalSkip.skippedIds(in, earlier, runs, MODEL, DEFAULTS, "now").count(),
        "other settings than the defaults: segmented again");
  }

  @Test
  void identifyReadsSizeAndModificationTimeAndLeavesMissingFilesAndRefusedPathsUnknown() throws Exception {
    SparkSession spark = TestSpark.session();
    Path a = Files.write(tmp.resolve("a.jpg"), new byte[1234]);
    Files.setLastModifiedTime(a, java.nio.file.attribute.FileTime.fromMillis(1_600_000_000_000L));
    String pa = a.toUri().toString();
    String missing = tmp.resolve("gone.jpg").toUri().toString();
    // a refused path is not looked at, even where a file is
    Dataset<Row> in = spark.createDataFrame(List.of(RowFactory.create(1L, pa, null), RowFactory.create(2L, missing, null),
        RowFactory.create(3L, pa, "refused")), InputResolver.SCHEMA);
    Map<Long, Row> got = new TreeMap<>();
    for (Row r : IncrementalSkip.identify(in, spark.sparkContext().hadoopConfiguration()).collectAsList()) {
      got.put(r.getLong(0), r);
    }
    assertEquals(1234L, got.get(1L).getLong(2));
    assertEquals(1_600_000_000_000L, got.get(1L).getTimestamp(3).getTime());
    assertNull(got.get(1L).get(4), "local files have no etag");
    assertEquals(pa, got.get(1L).getString(1));
    for (int i = 2; i <= 4; i++) {
      assertNull(got.get(2L).get(i), "a missing file has no identity");
      assertNull(got.get(3L).get(i), "a refused path has no identity");
    }
  }

  private static String summary(String modelFields) {
    return "{\"run_id\":\"x\",\"model\":{\"name\":\"m\",\"version\":\"1.0\",\"sha256\":\"abc\"," + modelFields + "}}";
  }

  private static void earlier(List<Row> images, String name, String run, String status, Long size, Timestamp t,
      String etag) {
    images.add(RowFactory.create((long) (name.hashCode() & 0x7fffffff), "file:/in/" + name + ".jpg", status, size, t,
        etag, run));
  }

  private static void current(List<Row> input, Map<String, Long> ids, String name, Long size, Timestamp t,
      String etag) {
    long id = 1_000_000L + ids.size(); // another id than the earlier run's: paths match, not ids
    ids.put(name, id);
    input.add(RowFactory.create(id, "file:/in/" + name + ".jpg", size, t, etag));
  }
}
