package io.sparkseg.job.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.core.image.TestImages;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated bad-input corpus through the whole job: corrupt, truncated, zero-byte, text,
 * unsupported, decompression-bomb header, a file missing at read time, and awkward but valid
 * images (grayscale, alpha, 16-bit, CMYK, EXIF-rotated). The job succeeds and reports each.
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
