package io.sparkseg.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.output.format.TableSchemas;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The README's main command, end to end: runs {@code bin/demo} as a child process, as a user
 * would, except that the jars come from the {@code package} phase just before (failsafe, {@code mvn
 * verify}; {@code SPARKSEG_DEMO_SKIP_BUILD=1}) and the output goes to {@code
 * job/target/demo-it/out} ({@code SPARKSEG_DEMO_OUT}). Then reads what it wrote: both Parquet
 * tables for run id {@code demo} with exactly the README's columns, every ground-truth image once
 * and {@code ok}, plausible instances, the run summary, the COCO results and the evaluation. The
 * script's output is in {@code job/target/demo-it/demo.log}. On another Spark line ({@code mvn -P
 * spark3.5_2.12 verify}) it runs that line's bin/demo ({@code SPARKSEG_SPARK}) under that line's
 * build folder, and with {@code -Dsparkseg.demo.compare=EVALUATION_JSON} (bin/test: the default
 * line's) also checks that both lines scored the same.
 */
@Tag("smoke")
class DemoCommandIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A hang guard: about 4 minutes on an idle 2-core machine, 18.5 under a load average of 8. */
  private static final Duration TIMEOUT = Duration.ofMinutes(40);

  private static Path root;
  private static Path out;
  private static SparkSession spark;
  private static JsonNode gt;
  /** Ground truth: image id -> {width, height}. */
  private static final Map<Long, int[]> GT_SIZES = new HashMap<>();

  @BeforeAll
  static void runDemo() throws Exception {
    root = TestSpark.repoRoot();
    Path work = Path.of(System.getProperty("sparkseg.build.dir", root.resolve("job/target").toString())).resolve("demo-it");
    out = work.resolve("out");
    deleteTree(out);
    Files.createDirectories(work);
    Path log = work.resolve("demo.log");

    ProcessBuilder pb = new ProcessBuilder("bash", "bin/demo").directory(root.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARKSEG_DEMO_SKIP_BUILD", "1");
    pb.environment().put("SPARKSEG_DEMO_OUT", out.toString());
    // the line these tests run on (spark3.5_2.12 -> 3.5_2.12), so bin/demo runs the jars just built
    pb.environment().put("SPARKSEG_SPARK", System.getProperty("sparkseg.spark.line", "spark4.0_2.13").substring(5));
    long t0 = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail("bin/demo still running after " + TIMEOUT + "; log tail:\n" + tail(log));
    }
    System.out.printf("DemoCommandIT: bin/demo exited %d after %.1f s (log: %s)%n",
        p.exitValue(), (System.nanoTime() - t0) / 1e9, log);
    assertEquals(0, p.exitValue(), () -> "bin/demo failed; log tail:\n" + tail(log));
    assertTrue(Files.readString(log).contains("tables: " + out + "/instances/run_id=demo"), () -> tail(log));

    gt = JSON.readTree(root.resolve("samples/annotations.json").toFile());
    for (JsonNode im : gt.get("images")) {
      GT_SIZES.put(im.get("id").asLong(), new int[] {im.get("width").asInt(), im.get("height").asInt()});
    }
    spark = TestSpark.session();
  }

  @Test
  void writesBothTablesTheSummaryDetectionsAndEvaluation() {
    for (String f : List.of("instances/run_id=demo", "images/run_id=demo")) {
      assertTrue(Files.isDirectory(out.resolve(f)), f);
    }
    for (String f : List.of("summary.json", "detections.json", "evaluation.json")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
  }

  @Test
  void tablesHaveExactlyTheReadmeColumns() throws IOException {
    Map<String, List<String>> readme = readmeTableColumns(Files.readString(root.resolve("README.md")));
    assertEquals(columns(TableSchemas.INSTANCES_TABLE), readme.get("instances"), "README vs the stored instances");
    assertEquals(columns(TableSchemas.IMAGES_TABLE), readme.get("images"), "README vs the stored images");
    // run_id and commit are the partition columns: Spark reads them back from the folder names, last
    assertEquals(readme.get("instances"), columns(table("instances").schema()), "instances as written");
    assertEquals(readme.get("images"), columns(table("images").schema()), "images as written");
  }

  /**
   * README's "Segment your own images" queries, run on the demo's tables (its {@code out/mine}
   * and run id {@code first} read as the demo's): per-category counts that add up to the table,
   * and the images that did not come out ok (none in the demo).
   */
  @Test
  void readmeOwnImagesQueriesRunOnTheOutput() throws IOException {
    String readme = Files.readString(root.resolve("README.md"));
    int at = readme.indexOf("## Segment your own images");
    assertTrue(at >= 0, "README has no Segment your own images section");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?s)```sql\n(.*?)```").matcher(readme);
    assertTrue(m.find(at), "README's own-images section has no sql block");
    String[] queries = m.group(1).replace("out/mine", out.toString()).replace("'first'", "'demo'").split(";");
    List<Row> perCategory = spark.sql(queries[0]).collectAsList();
    assertEquals(table("instances").count(), perCategory.stream().mapToLong(r -> r.getLong(1)).sum(),
        "instances per category add up to the table");
    assertEquals(table("instances").select("category_name").distinct().count(), perCategory.size());
    assertEquals(table("images").where("status <> 'ok'").count(), spark.sql(queries[1]).count());
  }

  @Test
  void everyGroundTruthImageExactlyOnceAndOk() {
    List<Row> rows = table("images").collectAsList();
    assertEquals(200, rows.size());
    Set<Long> seen = new HashSet<>();
    for (Row r : rows) {
      long id = r.getLong(r.fieldIndex("image_id"));
      assertTrue(seen.add(id), "image " + id + " twice");
      assertEquals("ok", r.getString(r.fieldIndex("status")), "image " + id);
      assertNull(r.get(r.fieldIndex("error")), "image " + id);
      int[] size = GT_SIZES.get(id);
      assertNotNull(size, "image " + id + " is not in the ground truth");
      assertEquals(size[0], r.getInt(r.fieldIndex("width")), "width of " + id);
      assertEquals(size[1], r.getInt(r.fieldIndex("height")), "height of " + id);
    }
    assertEquals(GT_SIZES.keySet(), seen);
  }

  @Test
  void instancesArePlausibleAgainstTheGroundTruth() {
    long nonCrowd = 0;
    Set<Long> gtImagesWithObjects = new HashSet<>();
    for (JsonNode a : gt.get("annotations")) {
      if (a.path("iscrowd").asInt(0) == 0) {
        nonCrowd++;
        gtImagesWithObjects.add(a.get("image_id").asLong());
      }
    }
    Map<Integer, Integer> keypointsPerCategory = new HashMap<>();
    for (JsonNode c : gt.get("categories")) {
      keypointsPerCategory.put(c.get("id").asInt(), c.has("keypoints") ? c.get("keypoints").size() : 0);
    }

    Dataset<Row> instances = table("instances");
    long total = instances.count();
    assertTrue(total >= nonCrowd / 2 && total <= nonCrowd * 3 / 2,
        total + " instances for " + nonCrowd + " non-crowd ground-truth objects");

    // per image: num_instances in images == instances rows; indexes 0..n-1 by descending score
    Map<Long, Integer> declared = new HashMap<>();
    for (Row r : table("images").select("image_id", "num_instances").collectAsList()) {
      declared.put(r.getLong(0), r.getInt(1));
    }
    Map<Long, List<Row>> byImage = new TreeMap<>();
    for (Row r : instances.collectAsList()) {
      byImage.computeIfAbsent(r.getLong(r.fieldIndex("image_id")), k -> new ArrayList<>()).add(r);
    }
    long withInstances = declared.values().stream().filter(n -> n > 0).count();
    assertTrue(withInstances >= 0.8 * gtImagesWithObjects.size(),
        withInstances + " images with instances, " + gtImagesWithObjects.size() + " with ground-truth objects");
    for (Map.Entry<Long, Integer> e : declared.entrySet()) {
      List<Row> rows = new ArrayList<>(byImage.getOrDefault(e.getKey(), List.of()));
      assertEquals(e.getValue().intValue(), rows.size(), "instances of image " + e.getKey());
      rows.sort(Comparator.comparingInt(r -> r.getInt(r.fieldIndex("instance_index"))));
      int[] size = GT_SIZES.get(e.getKey());
      for (int i = 0; i < rows.size(); i++) {
        Row r = rows.get(i);
        String what = "image " + e.getKey() + " instance " + i;
        assertEquals(i, r.getInt(r.fieldIndex("instance_index")), what);
        float score = r.getFloat(r.fieldIndex("score"));
        assertTrue(score > 0 && score <= 1, what + " score " + score);
        if (i > 0) {
          assertTrue(score <= rows.get(i - 1).getFloat(r.fieldIndex("score")), what + ": not by descending score");
        }
        int category = r.getInt(r.fieldIndex("category_id"));
        assertTrue(keypointsPerCategory.containsKey(category), what + ": category " + category);
        Row bbox = r.getStruct(r.fieldIndex("bbox"));
        double x = bbox.getDouble(0);
        double y = bbox.getDouble(1);
        assertTrue(x >= -0.5 && y >= -0.5 && x + bbox.getDouble(2) <= size[0] + 0.5
            && y + bbox.getDouble(3) <= size[1] + 0.5, what + ": box " + bbox + " outside the image");
        Row mask = r.getStruct(r.fieldIndex("mask"));
        assertEquals(size[1], mask.getInt(0), what + ": mask height");
        assertEquals(size[0], mask.getInt(1), what + ": mask width");
        assertFalse(mask.getString(2).isEmpty(), what + ": mask counts");
        assertTrue(r.getLong(r.fieldIndex("mask_area")) >= 0, what);
        int keypoints = keypointsPerCategory.get(category);
        if (keypoints == 0) {
          assertTrue(r.isNullAt(r.fieldIndex("keypoints")), what + ": keypoints for a category without");
        } else {
          assertEquals(keypoints, r.getList(r.fieldIndex("keypoints")).size(), what + ": keypoints");
        }
        assertEquals("demo", r.getString(r.fieldIndex("run_id")), what);
      }
    }
    assertEquals(declared.keySet(), new HashSet<>(GT_SIZES.keySet()));
    assertTrue(declared.keySet().containsAll(byImage.keySet()), "instances of images not in the images table");
  }

  @Test
  void summaryJsonMatchesTheTables() throws IOException {
    JsonNode s = JSON.readTree(out.resolve("summary.json").toFile());
    assertEquals("demo", s.get("run_id").asText());
    assertEquals("succeeded", s.get("status").asText());
    assertEquals(200, s.get("images_total").asLong());
    assertEquals(Map.of("ok", 200L), JSON.convertValue(s.get("images_by_status"),
        JSON.getTypeFactory().constructMapType(Map.class, String.class, Long.class)));
    long instances = table("instances").count();
    assertEquals(instances, s.get("instances_total").asLong());
    assertEquals(instances, s.get("outputs").get("coco_results_count").asLong());
    assertTrue(s.get("images_per_second").asDouble() > 0, s.toString());
    Row model = table("instances").select("model_name", "model_version").distinct().first();
    assertEquals(s.get("model").get("name").asText(), model.getString(0));
    assertEquals(s.get("model").get("version").asText(), model.getString(1));
  }

  @Test
  void detectionsJsonIsTheInstancesAsCocoResults() throws IOException {
    JsonNode d = JSON.readTree(out.resolve("detections.json").toFile());
    assertTrue(d.isArray());
    assertEquals(table("instances").count(), d.size());
    for (JsonNode det : d) {
      assertTrue(GT_SIZES.containsKey(det.get("image_id").asLong()), det.toString());
      assertEquals(4, det.get("bbox").size(), det.toString());
      assertTrue(det.get("segmentation").has("counts"), det.toString());
      assertTrue(det.has("category_id") && det.has("score"), det.toString());
    }
  }

  /**
   * README's accuracy table (AP, AP50, AP75 of bin/demo) is what bin/demo measures: figures are
   * printed to 3 decimals, and libtorch's CPU kernels may round differently on another CPU, so a
   * figure may be off by its rounding plus a little, never by a drifted model or pipeline.
   */
  @Test
  void evaluationIsReadmesAccuracyTable() throws IOException {
    JsonNode e = JSON.readTree(out.resolve("evaluation.json").toFile());
    Map<String, double[]> readme = readmeAccuracy(Files.readString(root.resolve("README.md")));
    assertEquals(Set.of("bbox", "segm", "keypoints"), readme.keySet(), "README's accuracy table rows");
    for (String type : readme.keySet()) {
      JsonNode stats = e.get(type).get("stats");
      for (int k = 0; k < 3; k++) {
        assertEquals(readme.get(type)[k], stats.get(k).asDouble(), 0.002,
            type + " " + List.of("AP", "AP50", "AP75").get(k) + ": README vs bin/demo " + stats);
      }
    }
    Matcher m = Pattern.compile("`bin/demo` with bundle [0-9.]+: 200 images, all `ok`, ([0-9,]+) instances")
        .matcher(Files.readString(root.resolve("README.md")));
    assertTrue(m.find(), "README's bin/demo figures line");
    long readmeInstances = Long.parseLong(m.group(1).replace(",", ""));
    long instances = table("instances").count();
    assertTrue(Math.abs(instances - readmeInstances) <= readmeInstances / 200,
        "README says " + readmeInstances + " instances, bin/demo wrote " + instances);
  }

  /**
   * On a non-default line: the default line's bin/demo ({@code -Dsparkseg.demo.compare}, bin/test
   * passes it) scored exactly what this one did. The default line does not collect this test (the
   * pom excludes its tag there).
   */
  @Test
  @Tag("line-compare")
  void evaluationIsTheDefaultLinesEvaluation() throws IOException {
    String compare = System.getProperty("sparkseg.demo.compare", "");
    assertFalse(compare.isBlank(), "-Dsparkseg.demo.compare=EVALUATION_JSON: the default line's bin/demo evaluation");
    Path other = Path.of(compare);
    assertTrue(Files.isRegularFile(other), other + ": the other line's evaluation.json (run its DemoCommandIT first)");
    JsonNode theirs = JSON.readTree(other.toFile());
    JsonNode ours = JSON.readTree(out.resolve("evaluation.json").toFile());
    for (String type : List.of("bbox", "segm", "keypoints")) {
      assertEquals(theirs.get(type).get("stats"), ours.get(type).get("stats"), type + " stats: " + other + " vs " + out);
    }
  }

  /** The rows {@code | type | AP | AP50 | AP75 | ... |} under README's "### Accuracy". */
  static Map<String, double[]> readmeAccuracy(String readme) {
    int at = readme.indexOf("### Accuracy");
    assertTrue(at >= 0, "README has no Accuracy section");
    String section = readme.substring(at, readme.indexOf("\n### ", at + 5));
    Map<String, double[]> rows = new HashMap<>();
    for (String line : section.split("\n")) {
      String[] cells = line.split("\\|");
      if (cells.length >= 5 && List.of("bbox", "segm", "keypoints").contains(cells[1].strip())) {
        rows.put(cells[1].strip(), new double[] {Double.parseDouble(cells[2].strip()),
            Double.parseDouble(cells[3].strip()), Double.parseDouble(cells[4].strip())});
      }
    }
    return rows;
  }

  @Test
  void evaluationHasApAboveChanceForEveryIouType() throws IOException {
    JsonNode e = JSON.readTree(out.resolve("evaluation.json").toFile());
    for (String type : List.of("bbox", "segm", "keypoints")) {
      JsonNode stats = e.get(type).get("stats");
      assertEquals(type.equals("keypoints") ? 10 : 12, stats.size(), type);
      double ap = stats.get(0).asDouble();
      double ap50 = stats.get(1).asDouble();
      double ap75 = stats.get(2).asDouble();
      for (double v : new double[] {ap, ap50, ap75}) {
        assertTrue(v >= 0 && v <= 1, type + " " + stats);
      }
      assertTrue(ap > 0.1, type + " AP " + ap);
      assertTrue(ap50 >= ap, type + " " + stats);
      System.out.printf("DemoCommandIT: %s AP %.3f AP50 %.3f AP75 %.3f%n", type, ap, ap50, ap75);
    }
  }

  private static Dataset<Row> table(String name) {
    return spark.read().parquet(out.resolve(name).toString()).where(functions.col("run_id").equalTo("demo"));
  }

  private static List<String> columns(StructType schema) {
    return Arrays.stream(schema.fields()).map(f -> f.name() + " " + f.dataType().catalogString()).toList();
  }

  /**
   * The columns the README documents in "Output tables", as "name catalogType": the
   * {@code instances} table's rows ({@code | `a`, `b` | int, string |}, one type for all or one
   * each) and the {@code images} sentence ({@code `a` long, `b`/`c` int, ...}).
   */
  static Map<String, List<String>> readmeTableColumns(String readme) {
    int instancesAt = readme.indexOf("`instances` — one row");
    int imagesAt = readme.indexOf("`images` — one row");
    assertTrue(instancesAt >= 0 && imagesAt > instancesAt, "README has no Output tables section");
    Pattern name = Pattern.compile("`([a-z_]+)`");
    List<String> instances = new ArrayList<>();
    for (String line : readme.substring(instancesAt, imagesAt).split("\n")) {
      if (!line.startsWith("| `")) {
        continue;
      }
      String[] cells = line.split("\\|");
      List<String> names = new ArrayList<>();
      for (Matcher m = name.matcher(cells[1]); m.find(); ) {
        names.add(m.group(1));
      }
      List<String> types = splitTopLevel(cells[2]);
      assertTrue(types.size() == 1 || types.size() == names.size(), line);
      for (int i = 0; i < names.size(); i++) {
        instances.add(names.get(i) + " " + readmeType(types.get(types.size() == 1 ? 0 : i)));
      }
    }
    int paragraphEnd = readme.indexOf("\n\n", imagesAt);
    String sentence = readme.substring(readme.indexOf(':', imagesAt) + 1, paragraphEnd);
    List<String> images = new ArrayList<>();
    Matcher m = Pattern.compile("((?:`[a-z_]+`/?)+) ([a-z]+)").matcher(sentence);
    while (m.find()) {
      for (Matcher n = name.matcher(m.group(1)); n.find(); ) {
        images.add(n.group(1) + " " + readmeType(m.group(2)));
      }
    }
    return Map.of("instances", instances, "images", images);
  }

  /** README type notation ({@code struct<x, y: double>}, {@code long}) as Spark's catalog string. */
  static String readmeType(String t) {
    t = t.trim();
    if (t.startsWith("array<") && t.endsWith(">")) {
      return "array<" + readmeType(t.substring(6, t.length() - 1)) + ">";
    }
    if (t.startsWith("struct<") && t.endsWith(">")) {
      // `a, b: T` gives a and b type T
      List<String> fields = new ArrayList<>();
      List<String> pending = new ArrayList<>();
      for (String item : splitTopLevel(t.substring(7, t.length() - 1))) {
        int colon = item.indexOf(':');
        if (colon < 0) {
          pending.add(item.trim());
          continue;
        }
        pending.add(item.substring(0, colon).trim());
        String type = readmeType(item.substring(colon + 1));
        pending.forEach(f -> fields.add(f + ":" + type));
        pending.clear();
      }
      assertTrue(pending.isEmpty(), t);
      return "struct<" + String.join(",", fields) + ">";
    }
    return switch (t) {
      case "long" -> "bigint";
      case "int", "float", "double", "string", "timestamp" -> t;
      default -> throw new AssertionError("README type " + t);
    };
  }

  /** Splits at commas outside {@code <...>}. */
  private static List<String> splitTopLevel(String s) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '<') {
        depth++;
      } else if (c == '>') {
        depth--;
      } else if (c == ',' && depth == 0) {
        parts.add(s.substring(start, i).trim());
        start = i + 1;
      }
    }
    parts.add(s.substring(start).trim());
    return parts;
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
