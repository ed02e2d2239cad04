package io.sparkseg.job.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.core.image.TestImages;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated bad-input corpus through the whole job: corrupt, truncated, zero-byte, text,
 * unsupported, decompression-bomb header, a file missing at read time, and awkward but valid
 * images (grayscale, alpha, 16-bit, CMYK, EXIF-rotated); then files over the byte limit and names
 * that leave the image root. The job succeeds and reports each.
 */
class BadInputCorpusTest {
  @TempDir
  Path tmp;

  @Test
  void everyBadInputGetsItsStatusAndTheJobSucceeds() throws Exception {
    TestSpark.requireModel();
    Path corpus = tmp.resolve("corpus");
    Map<String, String> expected = new TreeMap<>(TestImages.writeCorpus(corpus));
    // listed in the manifest, gone when the task reads it
    expected.put("gone.jpg", "missing");
    StringBuilder csv = new StringBuilder("path\n");
    for (String name : expected.keySet()) {
      csv.append("corpus/").append(name).append('\n');
    }
    Path manifest = tmp.resolve("manifest.csv");
    Files.writeString(manifest, csv);
    Path out = tmp.resolve("out");
    TestSpark.CliResult r = TestSpark.cli("segment", "--manifest", manifest.toString(), "--output", out.toString(),
        "--model", TestSpark.modelDir().toString(), "--run-id", "bad", "--max-failed-fraction", "1.0",
        "--summary-json", tmp.resolve("s.json").toString(), "--progress-interval", "0", "--batch-size", "4");
    assertEquals(ExitCodes.OK, r.exitCode(), r.err());

    Map<String, String> actual = new TreeMap<>();
    Map<String, Row> rows = new HashMap<>();
    for (Row row : TestSpark.session().read().parquet(out.resolve("images").toString()).collectAsList()) {
      String name = Path.of(row.<String>getAs("path").substring("file:".length())).getFileName().toString();
      actual.put(name, row.getAs("status"));
      rows.put(name, row);
    }
    assertEquals(expected, actual);
    // errors carry a message; ok images have sizes after EXIF rotation
    for (Map.Entry<String, Row> e : rows.entrySet()) {
      boolean ok = "ok".equals(e.getValue().getAs("status"));
      assertEquals(ok, e.getValue().getAs("error") == null, e.getKey());
    }
    assertEquals(20, (int) rows.get("exif_rot6.jpg").<Integer>getAs("width"));
    assertEquals(60, (int) rows.get("exif_rot6.jpg").<Integer>getAs("height"));
    assertEquals(50_000, (int) rows.get("bomb.png").<Integer>getAs("width"));

    JsonNode s = new ObjectMapper().readTree(tmp.resolve("s.json").toFile());
    Map<String, Integer> byStatus = new TreeMap<>();
    s.get("images_by_status").fields().forEachRemaining(f -> byStatus.put(f.getKey(), f.getValue().asInt()));
    Map<String, Integer> counts = new TreeMap<>();
    expected.values().forEach(v -> counts.merge(v, 1, Integer::sum));
    assertEquals(counts, byStatus);
    assertEquals(Map.of("ok", 9, "decode_error", 5, "unsupported", 1, "too_large", 1, "missing", 1), counts);
    System.out.println("bad corpus statuses: " + byStatus);
  }

  /** image_id -> (status, path, error, size_bytes) of the run's images table. */
  private static Map<Long, List<Object>> imagesById(Path out) {
    Map<Long, List<Object>> m = new TreeMap<>();
    for (Row row : TestSpark.session().read().parquet(out.resolve("images").toString()).collectAsList()) {
      m.put(row.getAs("image_id"), java.util.Arrays.asList(row.getAs("status"), row.getAs("path"), row.getAs("error"),
          row.getAs("size_bytes")));
    }
    return m;
  }

  @Test
  void namesThatLeaveTheImageRootAndFilesOverTheByteLimitAreNotReadAndTheJobGoesOn() throws Exception {
    TestSpark.requireModel();
    Path root = tmp.resolve("root");
    Files.createDirectories(root.resolve("sub"));
    Files.write(root.resolve("good.jpg"), TestImages.jpeg(64, 48));
    Files.write(root.resolve("sub/good.png"), TestImages.png(64, 48));
    // every file here decodes: only the limits can keep it out
    byte[] large = TestImages.jpeg(640, 480);
    Files.write(root.resolve("large.jpg"), large);
    Files.write(tmp.resolve("outside.jpg"), TestImages.jpeg(64, 48));
    String inside = root.resolve("good.jpg").toAbsolutePath().toString();
    Path lists = Files.createDirectories(tmp.resolve("lists"));
    Files.writeString(lists.resolve("m.csv"), "path,image_id\ngood.jpg,1\nsub/../sub/good.png,2\nlarge.jpg,3\n"
        + "/etc/passwd,4\n../outside.jpg,5\n" + inside + ",6\n");
    Path out = tmp.resolve("out-manifest");
    TestSpark.CliResult r = TestSpark.cli("segment", "--manifest", lists.resolve("m.csv").toString(),
        "--image-root", root.toString(), "--max-image-bytes", String.valueOf(large.length - 1), "--output",
        out.toString(), "--model", TestSpark.modelDir().toString(), "--run-id", "m", "--progress-interval", "0");
    assertEquals(ExitCodes.OK, r.exitCode(), r.err());
    Map<Long, List<Object>> m = imagesById(out);
    assertEquals(List.of("ok", "ok", "too_large", "refused_path", "refused_path", "refused_path"),
        m.values().stream().map(v -> v.get(0)).toList(), m.toString());
    assertTrue(((String) m.get(3L).get(2)).contains("max-image-bytes"), m.get(3L).toString());
    assertEquals((long) large.length, m.get(3L).get(3), "the size from the file status");
    assertEquals("/etc/passwd", m.get(4L).get(1), "a refused name is reported as given");
    assertEquals("../outside.jpg", m.get(5L).get(1));
    assertTrue(((String) m.get(5L).get(2)).contains("climbs out of it"), m.get(5L).toString());
    assertTrue(((String) m.get(6L).get(2)).contains("is absolute"), m.get(6L).toString());

    Files.writeString(lists.resolve("gt.json"), "{\"images\": [{\"id\": 1, \"file_name\": \"good.jpg\"},"
        + " {\"id\": 2, \"file_name\": \"/etc/passwd\"}, {\"id\": 3, \"file_name\": \"../outside.jpg\"},"
        + " {\"id\": 4, \"file_name\": \"s3a://elsewhere/x.jpg\"}]}");
    out = tmp.resolve("out-coco");
    r = TestSpark.cli("segment", "--coco-images", lists.resolve("gt.json").toString(), "--image-root", root.toString(),
        "--output", out.toString(), "--model", TestSpark.modelDir().toString(), "--run-id", "c",
        "--progress-interval", "0");
    assertEquals(ExitCodes.OK, r.exitCode(), r.err());
    m = imagesById(out);
    assertEquals(List.of("ok", "refused_path", "refused_path", "refused_path"),
        m.values().stream().map(v -> v.get(0)).toList(), m.toString());
    assertEquals("s3a://elsewhere/x.jpg", m.get(4L).get(1));
    for (long id = 2; id <= 4; id++) {
      assertNull(m.get(id).get(3), "nothing was looked at, not even the file's status: " + m.get(id));
    }
  }

  @Test
  void tooManyFailuresExitWith3AfterWritingTheOutput() throws Exception {
    TestSpark.requireModel();
    Path dir = tmp.resolve("in");
    Files.createDirectories(dir);
    Files.write(dir.resolve("good.jpg"), TestImages.jpeg(64, 48));
    Files.write(dir.resolve("bad.jpg"), TestImages.truncatedJpeg(64, 48));
    Path out = tmp.resolve("out");
    TestSpark.CliResult r = TestSpark.cli("segment", "--input", dir.toString(), "--output", out.toString(),
        "--model", TestSpark.modelDir().toString(), "--run-id", "f", "--max-failed-fraction", "0.4",
        "--progress-interval", "0");
    assertEquals(ExitCodes.TOO_MANY_FAILED, r.exitCode(), r.err());
    assertTrue(r.err().contains("--max-failed-fraction"), r.err());
    assertEquals(2, TestSpark.session().read().parquet(out.resolve("images").toString()).count());
    JsonNode s = new ObjectMapper().readTree(out.resolve("_summary/f.json").toFile());
    assertEquals("failed_fraction_exceeded", s.get("status").asText());
    assertEquals(0.5, s.get("failed_fraction").asDouble());
  }
}
