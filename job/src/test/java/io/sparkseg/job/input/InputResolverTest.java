package io.sparkseg.job.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.job.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
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
    for (Row r : InputResolver.resolve(spark(), spec).rows().collectAsList()) {
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

  /** Path -> why it is refused ("" when it is not) of each resolved row. */
  private static Map<String, String> refusals(InputSpec spec) {
    Map<String, String> m = new TreeMap<>();
    for (Row r : InputResolver.resolve(spark(), spec).rows().collectAsList()) {
      m.put(r.getString(1), r.isNullAt(2) ? "" : r.getString(2));
    }
    return m;
  }

  @Test
  void cocoFileNamesAndManifestPathsThatLeaveTheImageRootAreRefusedAsGiven() throws Exception {
    String root = dir.resolve("imgs").toString();
    Path gt = dir.resolve("gt-escape.json");
    Files.writeString(gt, "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\"}, {\"id\": 2, \"file_name\": \"/etc/passwd\"},"
        + " {\"id\": 3, \"file_name\": \"../gt.json\"}, {\"id\": 4, \"file_name\": \"sub/../sub/c.jpg\"}]}");
    Path csv = dir.resolve("escape.csv");
    Files.writeString(csv, "path,image_id\na.jpg,1\n/etc/passwd,2\n../gt.json,3\nsub/../sub/c.jpg,4\n");
    for (InputSpec spec : List.of(new InputSpec(null, null, gt.toString(), root), new InputSpec(null, csv.toString(), null, root))) {
      Map<String, String> m = refusals(spec);
      assertEquals(List.of("../gt.json", "/etc/passwd", uri(dir.resolve("imgs/a.jpg")), uri(dir.resolve("imgs/sub/c.jpg"))),
          List.copyOf(m.keySet()), spec.describe());
      assertEquals("", m.get(uri(dir.resolve("imgs/a.jpg"))));
      assertEquals("", m.get(uri(dir.resolve("imgs/sub/c.jpg"))));
      assertTrue(m.get("/etc/passwd").contains("is absolute"), m.toString());
      assertTrue(m.get("../gt.json").contains("climbs out"), m.toString());
    }
    // without --image-root a manifest names files anywhere, relative to its own folder
    assertEquals(Map.of("file:/etc/passwd", "", uri(dir.getParent().resolve("gt.json")), "", uri(dir.resolve("a.jpg")),
        "", uri(dir.resolve("sub/c.jpg")), ""), refusals(new InputSpec(null, csv.toString(), null, null)));
  }

  @Test
  void listedInputsAreSlicedInOrderWithoutAShuffleAndManifestsRepartitioned() throws Exception {
    ResolvedInput folder = InputResolver.resolve(spark(), new InputSpec(dir.resolve("imgs").toString(), null, null, null));
    assertEquals(3, folder.count());
    List<List<Row>> parts = folder.partitioned(2).glom().collect();
    assertEquals(2, parts.size());
    List<String> paths = parts.stream().flatMap(List::stream).map(r -> r.getString(1)).toList();
    assertEquals(List.of(uri(dir.resolve("imgs/a.jpg")), uri(dir.resolve("imgs/b.png")), uri(dir.resolve("imgs/sub/c.jpg"))),
        paths, "listing order kept across partitions");
    assertTrue(!folder.partitioned(2).rdd().toDebugString().contains("Shuffled"), "no shuffle for listed inputs");
    assertEquals(3, folder.partitioned(10).getNumPartitions(), "never more partitions than images");

    Path csv = dir.resolve("three.csv");
    Files.writeString(csv, "path\nimgs/a.jpg\nimgs/b.png\nimgs/sub/c.jpg\n");
    // as on a cluster: many more shuffle partitions than cores
    String shufflePartitions = spark().conf().get("spark.sql.shuffle.partitions");
    spark().conf().set("spark.sql.shuffle.partitions", "40");
    ResolvedInput manifest;
    try {
      manifest = InputResolver.resolve(spark(), new InputSpec(null, csv.toString(), null, null));
    } finally {
      spark().conf().set("spark.sql.shuffle.partitions", shufflePartitions);
    }
    try {
      assertEquals(3, manifest.count());
      assertTrue(manifest.rows().javaRDD().getNumPartitions() <= spark().sparkContext().defaultParallelism(),
          "the cached manifest is not left in spark.sql.shuffle.partitions pieces (the job's repartition "
              + "would run a task per piece before the first image)");
      JavaRDD<Row> rdd = manifest.partitioned(3);
      assertEquals(3, rdd.getNumPartitions());
      assertEquals(3, rdd.count());
    } finally {
      manifest.release();
    }
  }

  @Test
  void cocoListRepeatsAreDroppedButAnIdWithTwoFilesFails() throws Exception {
    Path gt = dir.resolve("gt-dup.json");
    Files.writeString(gt, "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\"}, {\"id\": 1, \"file_name\": \"a.jpg\"},"
        + " {\"id\": 2, \"file_name\": \"b.png\"}]}");
    assertEquals(Map.of(uri(dir.resolve("imgs/a.jpg")), 1L, uri(dir.resolve("imgs/b.png")), 2L),
        resolve(new InputSpec(null, null, gt.toString(), dir.resolve("imgs").toString())));
    Path clash = dir.resolve("gt-clash.json");
    Files.writeString(clash, "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\"}, {\"id\": 1, \"file_name\": \"b.png\"}]}");
    InputException e = assertThrows(InputException.class,
        () -> InputResolver.resolve(spark(), new InputSpec(null, null, clash.toString(), dir.resolve("imgs").toString())));
    assertTrue(e.getMessage().contains("1 image ids are used by more than one path") && e.getMessage().contains("image_id 1"),
        e.getMessage());
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
    Path empty = dir.resolve("empty-path.csv");
    Files.writeString(empty, "path,image_id\nimgs/a.jpg,1\n,2\n\"  \",3\n");
    e = assertThrows(InputException.class, () -> InputResolver.resolve(spark(), new InputSpec(null, empty.toString(), null, null)));
    assertTrue(e.getMessage().contains("2 rows have an empty path"), e.getMessage());
    Path badIds = dir.resolve("bad-ids.csv");
    Files.writeString(badIds, "path,image_id\nimgs/a.jpg,1\nimgs/b.png,two\nimgs/sub/c.jpg,\n");
    e = assertThrows(InputException.class, () -> InputResolver.resolve(spark(), new InputSpec(null, badIds.toString(), null, null)));
    assertTrue(e.getMessage().contains("1 image_id values are not integers"), e.getMessage());
    Path dup = dir.resolve("dup.csv");
    Files.writeString(dup, "path,image_id\nimgs/a.jpg,5\nimgs/b.png,5\n");
    e = assertThrows(InputException.class, () -> InputResolver.resolve(spark(), new InputSpec(null, dup.toString(), null, null)));
    assertTrue(e.getMessage().contains("used by more than one path"), e.getMessage());
    e = assertThrows(InputException.class,
        () -> InputResolver.resolve(spark(), new InputSpec(null, null, dir.resolve("nogt.json").toString(), dir.toString())));
    assertTrue(e.getMessage().contains("not found"), e.getMessage());
  }

  @Test
  void pathsWithLoginDetailsAreRefusedMasked() throws Exception {
    Path csv = dir.resolve("logins.csv");
    Files.writeString(csv, "path\nimgs/a.jpg\nftp://user:manifestPw123@host/x.jpg\n");
    InputException e = assertThrows(InputException.class,
        () -> InputResolver.resolve(spark(), new InputSpec(null, csv.toString(), null, null)));
    assertTrue(e.getMessage().contains("1 paths hold login details (user:secret@), e.g. ftp://***@host/x.jpg"),
        e.getMessage());
    Path gt = dir.resolve("gt-logins.json");
    Files.writeString(gt, "{\"images\": [{\"id\": 1, \"file_name\": \"s3a://AKIA:cocoPw456@bucket/a.jpg\"}]}");
    e = assertThrows(InputException.class,
        () -> InputResolver.resolve(spark(), new InputSpec(null, null, gt.toString(), dir.resolve("imgs").toString())));
    assertTrue(e.getMessage().contains("e.g. s3a://***@bucket/a.jpg"), e.getMessage());
    assertFalse(e.getMessage().contains("cocoPw456"), e.getMessage());
  }
}
