package io.sparkseg.job.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.job.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputResolverTest {
  @TempDir
  static Path dir;

  @BeforeAll
  static void files() throws Exception {
    Files.createDirectories(dir.resolve("imgs/sub"));
    Files.createDirectories(dir.resolve("imgs/_tmp"));
    Files.writeString(dir.resolve("imgs/a.jpg"), "x");
    Files.writeString(dir.resolve("imgs/b.png"), "x");
    Files.writeString(dir.resolve("imgs/sub/c.jpg"), "x");
    Files.writeString(dir.resolve("imgs/.hidden.jpg"), "x");
    Files.writeString(dir.resolve("imgs/_SUCCESS"), "x");
    Files.writeString(dir.resolve("imgs/_tmp/d.jpg"), "x");
  }

  private static SparkSession spark() {
    return TestSpark.session();
  }

  private static Map<String, Long> resolve(InputSpec spec) {
    Map<String, Long> m = new TreeMap<>();
    for (Row r : InputResolver.resolve(spark(), spec).collectAsList()) {
      m.put(r.getString(1), r.getLong(0));
    }
    return m;
  }

  private static String uri(Path p) {
    return "file:" + p.toAbsolutePath();
  }

  @Test
  void folderIsListedRecursivelySkippingHiddenFiles() {
    Map<String, Long> m = resolve(new InputSpec(dir.resolve("imgs").toString(), null, null, null));
    assertEquals(List.of(uri(dir.resolve("imgs/a.jpg")), uri(dir.resolve("imgs/b.png")), uri(dir.resolve("imgs/sub/c.jpg"))),
        List.copyOf(m.keySet()));
    m.forEach((path, id) -> assertEquals(ImageIds.fromNormalizedPath(path), id));
  }

  @Test
  void globSelectsFiles() {
    Map<String, Long> m = resolve(new InputSpec(dir.resolve("imgs").toString() + "/*.jpg", null, null, null));
    assertEquals(List.of(uri(dir.resolve("imgs/a.jpg"))), List.copyOf(m.keySet()));
  }

  @Test
  void csvManifestKeepsIdsAndResolvesRelativePaths() throws Exception {
    Path csv = dir.resolve("manifest.csv");
    Files.writeString(csv, "path,image_id\nimgs/a.jpg,7\n" + dir.resolve("imgs/b.png") + ",\nimgs/a.jpg,7\n");
    Map<String, Long> m = resolve(new InputSpec(null, csv.toString(), null, null));
    assertEquals(2, m.size(), "duplicates removed");
    assertEquals(7L, m.get(uri(dir.resolve("imgs/a.jpg"))));
    String b = uri(dir.resolve("imgs/b.png"));
    assertEquals(ImageIds.fromNormalizedPath(b), m.get(b), "missing id derived from the path");
  }

  @Test
  void jsonLinesAndParquetManifests() throws Exception {
    Path jl = dir.resolve("m.jsonl");
    Files.writeString(jl, "{\"path\": \"imgs/a.jpg\", \"image_id\": 1}\n{\"path\": \"imgs/missing.jpg\", \"image_id\": 2}\n");
    Map<String, Long> m = resolve(new InputSpec(null, jl.toString(), null, null));
    assertEquals(Map.of(uri(dir.resolve("imgs/a.jpg")), 1L, uri(dir.resolve("imgs/missing.jpg")), 2L), m);
    Path pq = dir.resolve("m.parquet");
    spark().read().json(jl.toString()).write().parquet(pq.toString());
    assertEquals(m, resolve(new InputSpec(null, pq.toString(), null, null)));
  }

  @Test
  void cocoImagesUseTheirIdsAndFileNames() throws Exception {
    Path gt = dir.resolve("gt.json");
    Files.writeString(gt, "{\"info\": {\"x\": [1, 2]}, \"images\": [{\"id\": 42, \"file_name\": \"a.jpg\", \"width\": 1},"
        + " {\"file_name\": \"sub/c.jpg\", \"id\": 43}], \"annotations\": [], \"categories\": []}");
    Map<String, Long> m = resolve(new InputSpec(null, null, gt.toString(), dir.resolve("imgs").toString()));
    assertEquals(Map.of(uri(dir.resolve("imgs/a.jpg")), 42L, uri(dir.resolve("imgs/sub/c.jpg")), 43L), m);
  }

  @Test
  void unusableInputsFailWithClearMessages() throws Exception {
    InputException e = assertThrows(InputException.class,
        () -> InputResolver.resolve(spark(), new InputSpec(dir.resolve("nope").toString(), null, null, null)));
    assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    Files.createDirectories(dir.resolve("empty"));
    e = assertThrows(InputException.class,
        () -> InputResolver.resolve(spark(), new InputSpec(dir.resolve("empty").toString(), null, null, null)));
    assertTrue(e.getMessage().contains("no input images"), e.getMessage());
    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, "file,id\na.jpg,1\n");
    e = assertThrows(InputException.class, () -> InputResolver.resolve(spark(), new InputSpec(null, bad.toString(), null, null)));
    assertTrue(e.getMessage().contains("no 'path' column"), e.getMessage());
    Path dup = dir.resolve("dup.csv");
    Files.writeString(dup, "path,image_id\nimgs/a.jpg,5\nimgs/b.png,5\n");
    e = assertThrows(InputException.class, () -> InputResolver.resolve(spark(), new InputSpec(null, dup.toString(), null, null)));
    assertTrue(e.getMessage().contains("used by more than one path"), e.getMessage());
    e = assertThrows(InputException.class,
        () -> InputResolver.resolve(spark(), new InputSpec(null, null, dir.resolve("nogt.json").toString(), dir.toString())));
    assertTrue(e.getMessage().contains("not found"), e.getMessage());
  }
}
