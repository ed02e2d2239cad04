package io.sparkseg.job.evaluate.input;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoJsonReader;
import io.sparkseg.core.coco.Segmentation;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import io.sparkseg.core.coco.CocoJsonWriter;
import io.sparkseg.job.evaluate.SyntheticEvalCase;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Tuple2;

/** A results JSON read in parallel byte ranges gives what a one-piece read gives, or fails clearly. */
class ResultsSplitsTest {
  private static SparkSession spark;
  private static boolean created;
  private static SyntheticEvalCase.Case c;

  @BeforeAll
  static void start() {
    created = SparkSession.getDefaultSession().isEmpty() || SparkSession.getDefaultSession().get().sparkContext().isStopped();
    spark = SparkSession.builder().master("local[2]").appName("ResultsSplitsTest")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
    c = SyntheticEvalCase.generate(30, 120, 300, 5L);
  }

  @AfterAll
  static void stop() {
    if (created) {
      spark.stop();
    }
  }

  @AfterEach
  void defaultSplits() {
    spark.conf().unset("spark.sql.files.maxPartitionBytes");
    spark.conf().unset("spark.sql.files.openCostInBytes");
  }

  private static void splitBytes(long n) {
    spark.conf().set("spark.sql.files.maxPartitionBytes", Long.toString(n));
    spark.conf().set("spark.sql.files.openCostInBytes", "0");
  }

  private static Path resultsFile(Path dir, String name, boolean pretty) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    CocoJsonWriter.write(buf, c.detections());
    String json = buf.toString(StandardCharsets.UTF_8);
    if (pretty) { // whitespace around the separators, as an indenting writer puts it
      json = "[\n  " + json.substring(1, json.length() - 1).replace("},{", "}  ,\n\t {") + "\n]\n";
    }
    Path f = dir.resolve(name);
    Files.writeString(f, json);
    return f;
  }

  private static List<CocoDetection> onePiece(Path f) throws Exception {
    try (InputStream in = Files.newInputStream(f)) {
      return CocoJsonReader.readResults(in);
    }
  }

  private static String key(CocoDetection d) {
    return d.imageId() + " " + d.categoryId() + " " + d.score() + " " + Arrays.toString(d.bbox()) + " "
        + ((Segmentation.RleMask) d.segmentation()).rle().toCompressedString();
  }

  @Test
  void everyDetectionReadOnceAtItsPositionWhateverTheSplits(@TempDir Path tmp) throws Exception {
    for (boolean pretty : new boolean[] {false, true}) {
      Path f = resultsFile(tmp, "dt" + pretty + ".json", pretty);
      byte[] bytes = Files.readAllBytes(f);
      List<CocoDetection> expected = onePiece(f);
      assertEquals(300, expected.size());
      for (long size : new long[] {37, 211, 1009, 1L << 30}) {
        splitBytes(size);
        ResultsSplits.Detections got = ResultsSplits.read(spark, f.toUri().toString());
        List<Tuple2<Long, CocoDetection>> all = new ArrayList<>(got.detections().collect());
        String what = (pretty ? "pretty, " : "") + size + "-byte splits";
        assertEquals(expected.size(), got.count(), what);
        assertEquals(expected.size(), all.size(), what + ": detections read");
        all.sort(Comparator.comparing(Tuple2::_1));
        for (int i = 0; i < all.size(); i++) {
          assertEquals(i, all.get(i)._1(), what + ": positions 0..n-1, each once");
          assertEquals(key(expected.get(i)), key(all.get(i)._2()), what + ": detection #" + i);
        }
        assertEquals(key(expected.get(0)), key(got.first()), what);
        List<ResultsSplits.Range> ranges = ResultsSplits.ranges(bytes.length, size);
        if (size < 1000) {
          assertTrue(ranges.size() > 20, what + ": " + ranges.size() + " ranges");
          assertTrue(ranges.stream().filter(r -> r.start() > 0 && bytes[(int) r.start()] != '{').count() > ranges.size() / 2,
              what + ": most range starts fall inside a detection");
        }
      }
    }
  }

  @Test
  void idsAndAreasAreLoadResOfTheWholeFile(@TempDir Path tmp) throws Exception {
    Path f = resultsFile(tmp, "dt.json", false);
    CocoDataset gt = c.groundTruth();
    List<LoadedDetection> expected = LoadRes.apply(gt, onePiece(f), LoadRes.AreaSource.AUTO);
    splitBytes(501);
    DistributedGroundTruth g = DistributedGroundTruth.of(
        org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()), gt, 3);
    try {
      org.apache.spark.api.java.JavaPairRDD<Long, LoadedDetection> loaded = ResultsLoad.apply(
          ResultsSplits.read(spark, f.toUri().toString()), g, LoadRes.AreaSource.AUTO, DetectionFields.ALL);
      // partitioned like the ground truth, so the evaluation's cogroup reads both sides in place
      assertEquals(java.util.Optional.of(g.partitioner()), java.util.Optional.ofNullable(loaded.partitioner().orNull()));
      loaded.collect().forEach(t -> assertEquals(t._1().longValue(), t._2().imageId()));
      List<LoadedDetection> got = new ArrayList<>(loaded.values().collect());
      got.sort(Comparator.comparingLong(LoadedDetection::id));
      assertEquals(expected.size(), got.size());
      for (int i = 0; i < got.size(); i++) {
        LoadedDetection e = expected.get(i);
        LoadedDetection d = got.get(i);
        assertEquals(e.id(), d.id());
        assertEquals(e.imageId(), d.imageId());
        assertEquals(e.area(), d.area(), 0.0);
        assertArrayEquals(e.bbox(), d.bbox(), 0.0);
      }
    } finally {
      g.unpersist();
    }
  }

  @Test
  void inProcessReadGivesTheSameIdsAndAreasAndErrors(@TempDir Path tmp) throws Exception {
    org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.getLocal(
        new org.apache.hadoop.conf.Configuration());
    CocoDataset gt = c.groundTruth();
    for (boolean pretty : new boolean[] {false, true}) {
      Path f = resultsFile(tmp, "dt" + pretty + ".json", pretty);
      List<LoadedDetection> expected = LoadRes.apply(gt, onePiece(f), LoadRes.AreaSource.AUTO);
      for (long size : new long[] {37, 211, 1009, 1L << 30}) {
        String what = (pretty ? "pretty, " : "") + size + "-byte ranges";
        List<CocoDetection> firsts = new ArrayList<>();
        List<LoadedDetection> got = ResultsSplits.readInProcess(fs, f.toUri().toString(), size, first -> {
          firsts.add(first);
          LoadRes.AreaSource branch = LoadRes.branch(List.of(first));
          return (position, d) -> LoadRes.load(position + 1, d, branch, gt.image(d.imageId()).height(),
              gt.image(d.imageId()).width(), "detection #" + position);
        });
        assertEquals(1, firsts.size(), what);
        assertEquals(key(onePiece(f).get(0)), key(firsts.get(0)), what);
        assertEquals(expected.size(), got.size(), what);
        for (int i = 0; i < got.size(); i++) { // in file order
          assertEquals(expected.get(i).id(), got.get(i).id(), what);
          assertEquals(expected.get(i).area(), got.get(i).area(), 0.0, what);
          assertArrayEquals(expected.get(i).bbox(), got.get(i).bbox(), 0.0, what);
        }
      }
    }
    // a bad record: the message of a one-piece read, naming its position in the file
    Path bad = withoutScore(tmp, resultsFile(tmp, "dt.json", false), 200);
    String expected = assertThrows(IllegalArgumentException.class, () -> onePiece(bad)).getMessage();
    Exception e = assertThrows(IllegalArgumentException.class,
        () -> ResultsSplits.readInProcess(fs, bad.toUri().toString(), 300, first -> (position, d) -> d));
    assertEquals(expected, e.getMessage());
    // a false boundary: read again in one piece, as the one-piece read reads it
    StringBuilder nested = new StringBuilder("[");
    for (int i = 0; i < 60; i++) {
      nested.append(i == 0 ? "" : ",").append("{\"image_id\":1000,\"category_id\":1,\"bbox\":[1,2,3,4],\"score\":0."
          + (10 + i) + ",\"attributes\":[{\"a\":1},{\"b\":2},{\"c\":3}]}");
    }
    Path n = tmp.resolve("nested.json");
    Files.writeString(n, nested.append("]").toString());
    List<CocoDetection> read = ResultsSplits.readInProcess(fs, n.toUri().toString(), 150,
        first -> (position, d) -> d);
    assertEquals(60, read.size());
    for (int i = 0; i < 60; i++) {
      assertEquals(Double.parseDouble("0." + (10 + i)), read.get(i).score(), 0.0);
    }
  }

  /** A copy of results file {@code f} whose detection #{@code n} has no score (a misspelt key). */
  private static Path withoutScore(Path dir, Path f, int n) throws Exception {
    String json = Files.readString(f);
    int at = nthIndexOf(json, "\"score\":", n);
    int end = json.indexOf(',', at);
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, json.substring(0, at) + "\"scor\":" + json.substring(at + "\"score\":".length(), end)
        + json.substring(end));
    return bad;
  }

  private static String rootMessage(Throwable t) {
    IllegalArgumentException bad = null;
    for (Throwable x = t; x != null; x = x.getCause()) {
      if (x instanceof IllegalArgumentException i) {
        bad = i;
      }
    }
    return bad == null ? String.valueOf(t) : bad.getMessage();
  }

  @Test
  void errorsNameTheDetectionAsAOnePieceReadDoes(@TempDir Path tmp) throws Exception {
    Path f = resultsFile(tmp, "dt.json", false);
    String json = Files.readString(f);
    Path bad = withoutScore(tmp, f, 200);
    String expected = assertThrows(IllegalArgumentException.class, () -> onePiece(bad)).getMessage();
    assertTrue(expected.startsWith("detection #200 "), expected);
    splitBytes(300);
    Exception e = assertThrows(Exception.class,
        () -> ResultsSplits.read(spark, bad.toUri().toString()).detections().collect());
    assertEquals(expected, rootMessage(e));

    Path missingImage = tmp.resolve("unknown.json");
    Files.writeString(missingImage, json.replaceFirst("\"image_id\":" + c.detections().get(0).imageId() + ",",
        "\"image_id\":5,"));
    DistributedGroundTruth g = DistributedGroundTruth.of(
        org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()), c.groundTruth(), 2);
    try {
      Exception m = assertThrows(Exception.class, () -> ResultsLoad.apply(
          ResultsSplits.read(spark, missingImage.toUri().toString()), g, LoadRes.AreaSource.AUTO, DetectionFields.ALL)
          .count());
      assertEquals("Results do not correspond to current coco set: detection #0 has image_id 5, which is not in the "
          + "ground truth", rootMessage(m));
    } finally {
      g.unpersist();
    }
  }

  private static int nthIndexOf(String s, String what, int n) {
    int at = -1;
    for (int i = 0; i <= n; i++) {
      at = s.indexOf(what, at + 1);
    }
    return at;
  }

  @Test
  void aFalseBoundaryFailsTheReadInsteadOfLosingDetections(@TempDir Path tmp) throws Exception {
    // detections with a list of objects inside: '},{' also inside a detection
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < 60; i++) {
      json.append(i == 0 ? "" : ",").append("{\"image_id\":1000,\"category_id\":1,\"bbox\":[1,2,3,4],\"score\":0.5,"
          + "\"attributes\":[{\"a\":1},{\"b\":2},{\"c\":3}]}");
    }
    Path f = tmp.resolve("nested.json");
    Files.writeString(f, json.append("]").toString());
    splitBytes(1L << 30);
    assertEquals(60, ResultsSplits.read(spark, f.toUri().toString()).detections().count(), "in one piece");
    splitBytes(150);
    Exception e = assertThrows(Exception.class, () -> ResultsSplits.read(spark, f.toUri().toString()));
    String m = rootMessage(e);
    assertTrue(m.contains("cannot split COCO results file") || m.contains("invalid JSON in COCO results file"), m);
    assertTrue(m.contains("spark.sql.files.maxPartitionBytes"), m);
  }

  @Test
  void emptyAndNonArrayFiles(@TempDir Path tmp) throws Exception {
    splitBytes(3);
    Path empty = tmp.resolve("empty.json");
    Files.writeString(empty, "[ \n ]\n");
    ResultsSplits.Detections d = ResultsSplits.read(spark, empty.toUri().toString());
    assertEquals(0, d.count());
    assertNull(d.first());
    assertEquals(0, d.detections().count());
    Path object = tmp.resolve("object.json");
    Files.writeString(object, "{\"annotations\": []}");
    Exception e = assertThrows(Exception.class, () -> ResultsSplits.read(spark, object.toUri().toString()));
    assertEquals("a COCO results file must be a JSON array of detections", rootMessage(e));
  }
}
