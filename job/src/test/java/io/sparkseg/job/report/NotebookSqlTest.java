package io.sparkseg.job.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.job.evaluate.EvalOutputs;
import io.sparkseg.job.output.OutputLayout;
import io.sparkseg.tables.EvalTables;
import io.sparkseg.tables.ImagesTable;
import io.sparkseg.tables.InstancesTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The notebooks must not rot: each is valid nbformat 4, and every {@code spark.sql("""...""")}
 * query in them runs (UDFs registered, the notebook's named parameters bound) on result tables
 * shaped like the job's output of the samples.
 */
class NotebookSqlTest {
  /** {@code spark.sql("""query""", args=P)} with an optional {@code .createOrReplaceTempView("name")}. */
  private static final Pattern QUERY = Pattern.compile(
      "spark\\.sql\\(\\s*\"\"\"(.*?)\"\"\"\\s*(?:,\\s*args\\s*=\\s*(\\w+)\\s*)?\\)(\\s*\\.createOrReplaceTempView\\(\\s*\"(\\w+)\"\\s*\\))?",
      Pattern.DOTALL);
  private static final Pattern PARAMS = Pattern.compile("^P = \\{(.*)\\}\\s*$", Pattern.MULTILINE);
  private static final Pattern KEY = Pattern.compile("\"(\\w+)\"\\s*:");

  private static SparkSession spark;
  private static ResultFixture fx;

  @BeforeAll
  static void setUp() {
    spark = Fixtures.spark();
    fx = Fixtures.results();
    // what the notebooks' setup cells do: each table as a view of its name
    OutputLayout layout = new OutputLayout(fx.output.toString());
    spark.read().option("mergeSchema", "true").parquet(layout.instances()).createOrReplaceTempView(InstancesTable.NAME);
    spark.read().option("mergeSchema", "true").parquet(layout.images()).createOrReplaceTempView(ImagesTable.NAME);
    for (String t : List.of(EvalTables.SUMMARY, EvalTables.PER_CATEGORY, EvalTables.PR_CURVES)) {
      spark.read().parquet(EvalOutputs.tablePath(fx.evalOutput.toString(), t)).createOrReplaceTempView(t);
    }
  }

  static List<Path> notebooks() throws IOException {
    Path dir = ResultFixture.samples().getParent().resolve("notebooks");
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
    }
  }

  /** The values the notebooks' parameters get in this test: the fixture's runs or the job's. */
  private static Object value(String key, boolean job) {
    return switch (key) {
      case "run_id", "run_a" -> job ? ResultFixture.JOB_A : ResultFixture.RUN_A;
      case "run_b" -> job ? ResultFixture.JOB_A : ResultFixture.RUN_B;
      case "top_n" -> 3;
      case "min_score" -> 0.5;
      default -> throw new AssertionError("no test value for notebook parameter '" + key + "'");
    };
  }

  @Test
  void notebooksAreValidNbformat4() throws IOException {
    List<Path> nbs = notebooks();
    assertTrue(nbs.size() >= 5, "notebooks: " + nbs);
    ObjectMapper json = new ObjectMapper();
    for (Path p : nbs) {
      JsonNode nb = json.readTree(p.toFile());
      String where = p.getFileName().toString();
      assertEquals(4, nb.path("nbformat").asInt(), where);
      assertTrue(nb.path("nbformat_minor").isInt(), where);
      assertTrue(nb.path("metadata").isObject(), where);
      assertTrue(nb.path("metadata").path("kernelspec").path("name").isTextual(), where);
      assertTrue(nb.path("cells").isArray() && nb.path("cells").size() > 0, where);
      Set<String> ids = new HashSet<>();
      Set<String> allowed = Set.of("cells", "metadata", "nbformat", "nbformat_minor");
      nb.fieldNames().forEachRemaining(f -> assertTrue(allowed.contains(f), where + ": unexpected key " + f));
      for (JsonNode c : nb.path("cells")) {
        String type = c.path("cell_type").asText();
        assertTrue(Set.of("code", "markdown", "raw").contains(type), where + ": cell_type " + type);
        assertTrue(c.path("metadata").isObject(), where);
        JsonNode src = c.path("source");
        assertTrue(src.isTextual() || src.isArray(), where + ": source");
        if (src.isArray()) {
          src.forEach(l -> assertTrue(l.isTextual(), where + ": source line"));
        }
        if (nb.path("nbformat_minor").asInt() >= 5) {
          String id = c.path("id").asText();
          assertTrue(id.matches("[a-zA-Z0-9-_]{1,64}"), where + ": cell id '" + id + "'");
          assertTrue(ids.add(id), where + ": duplicate cell id " + id);
        }
        if (type.equals("code")) {
          assertTrue(c.path("outputs").isArray(), where + ": code cell outputs");
          assertTrue(c.has("execution_count") && (c.get("execution_count").isNull() || c.get("execution_count").isInt()),
              where + ": execution_count");
        } else {
          assertFalse(c.has("outputs"), where + ": " + type + " cell with outputs");
        }
      }
    }
  }

  @Test
  void everyNotebookQueryRunsOnTheJobsOwnOutput() throws IOException {
    // one job run (compared with itself in 05); evaluation queries see it only if the job found instances
    Map<String, List<Row>> results = runAll(spark, true);
    // the job's output of sample images, a missing and a corrupt one
    assertRunSummary(results);
    assertEquals(fx.jobInstances > 0, !results.get("02_classes_and_scores.ipynb#1").isEmpty(), "classes");
  }

  @Test
  void everyNotebookQueryRunsOnTheResultTables() throws IOException {
    Map<String, List<Row>> results = runAll(spark, false);
    // the fixture exercises the interesting paths: failures, classes, curves, both runs
    assertRunSummary(results);
    assertTrue(results.get("02_classes_and_scores.ipynb#1").size() >= 5, "classes");
    assertEquals(List.of(), results.entrySet().stream()
        .filter(e -> e.getValue().isEmpty()).map(Map.Entry::getKey).toList(), "queries without rows");
    Row agreement = results.get("05_compare_runs.ipynb#5").get(0);
    assertNotNull(agreement.get(4));
  }

  /**
   * Runs every query of every notebook in {@code spark} (on its views {@code instances},
   * {@code images} and the eval tables); results by "notebook#n" (1-based, in notebook order).
   */
  static Map<String, List<Row>> runAll(SparkSession spark, boolean job) throws IOException {
    Map<String, List<Row>> results = new LinkedHashMap<>();
    for (Path p : notebooks()) {
      results.putAll(run(spark, p, job));
    }
    assertTrue(results.size() >= 25, "queries: " + results.size());
    return results;
  }

  /**
   * The smoke suite's share (run on the other Spark lines): the run-summary notebook's queries on
   * the job's own output.
   */
  @Test
  @Tag("smoke")
  void theRunSummaryNotebooksQueriesRunOnTheJobsOwnOutput() throws IOException {
    Path nb = notebooks().stream().filter(p -> p.endsWith("01_run_summary.ipynb")).findFirst().orElseThrow();
    assertRunSummary(run(spark, nb, true));
  }

  /** The run-summary notebook saw the fixture's statuses (a missing and a corrupt image) and its 2 failures. */
  private static void assertRunSummary(Map<String, List<Row>> results) {
    assertEquals(List.of("decode_error", "missing", "ok"),
        results.get("01_run_summary.ipynb#2").stream().map(r -> r.getString(0)).sorted().toList());
    assertEquals(2, results.get("01_run_summary.ipynb#5").size(), "failures");
  }

  /** Runs every query of one notebook in {@code spark}; results by "notebook#n" as {@link #runAll} gives them. */
  static Map<String, List<Row>> run(SparkSession spark, Path p, boolean job) throws IOException {
    ObjectMapper json = new ObjectMapper();
    Map<String, List<Row>> results = new LinkedHashMap<>();
    JsonNode nb = json.readTree(p.toFile());
    StringBuilder code = new StringBuilder();
    for (JsonNode c : nb.path("cells")) {
      if (c.path("cell_type").asText().equals("code")) {
        code.append(text(c.path("source"))).append("\n");
      }
    }
    Map<String, Object> args = new HashMap<>();
    Matcher pm = PARAMS.matcher(code);
    if (pm.find()) {
      Matcher km = KEY.matcher(pm.group(1));
      while (km.find()) {
        args.put(km.group(1), value(km.group(1), job));
      }
    }
    Matcher m = QUERY.matcher(code);
    int n = 0;
    while (m.find()) {
      String sql = m.group(1);
      String where = p.getFileName() + " query " + (n + 1) + ":\n" + sql;
      List<Row> rows;
      try {
        var df = m.group(2) != null ? spark.sql(sql, args) : spark.sql(sql);
        if (m.group(4) != null) {
          df.createOrReplaceTempView(m.group(4));
        }
        rows = df.collectAsList();
      } catch (Exception e) {
        fail(where + "\nfailed (" + (job ? "job runs" : "fixture runs") + "): " + e, e);
        return null;
      }
      results.put(p.getFileName() + "#" + (n + 1), rows);
      n++;
    }
    assertTrue(n >= 3, p + " has only " + n + " queries");
    return results;
  }

  private static String text(JsonNode src) {
    if (src.isTextual()) {
      return src.asText();
    }
    StringBuilder b = new StringBuilder();
    src.forEach(l -> b.append(l.asText()));
    return b.toString();
  }

  static List<String> queries(String code) {
    List<String> out = new ArrayList<>();
    Matcher m = QUERY.matcher(code);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
