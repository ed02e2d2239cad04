package io.sparkseg.job.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.ParseResult;

/**
 * The arguments the deploy paths hand to the job, parsed by the job's real command line
 * ({@code SparksegCli}, nothing run): the Airflow DAG's (deploy/airflow/sparkseg_daily.json, the
 * file the DAG reads, templates rendered for a date), and deploy/yarn/submit.sh's (DRY_RUN prints
 * the spark-submit command it would run). Also runs the DAG through Python: byte-compiled, and
 * imported by the stub harness deploy/airflow/check_dag_with_stubs.py (stand-ins for Airflow, which
 * is not installable here).
 */
class SubmitArgumentsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path PYTHON = Path.of("/usr/bin/python3");

  static JsonNode airflowSpec() throws IOException {
    return JSON.readTree(DeployFiles.deploy("airflow/sparkseg_daily.json").toFile());
  }

  /** Airflow's {{ ds }}, {{ ds_nodash }} and {{ ti.try_number }} for one logical date and try. */
  static String render(String template, String ds, int tryNumber) {
    String out = template.replace("{{ ds_nodash }}", ds.replace("-", "")).replace("{{ ds }}", ds)
        .replace("{{ ti.try_number }}", String.valueOf(tryNumber));
    assertTrue(!out.contains("{{"), "a template the test does not know: " + template);
    return out;
  }

  static List<String> airflowArgs(String ds, int tryNumber) throws IOException {
    List<String> out = new ArrayList<>();
    airflowSpec().get("application_args").forEach(a -> out.add(render(a.asText(), ds, tryNumber)));
    return out;
  }

  @Test
  void airflowArgumentsAreAcceptedByTheJobCliAndKeyedOnTheLogicalDate() throws IOException {
    ParseResult a = DeployFiles.parseJobArgs(airflowArgs("2026-11-25", 1));
    assertEquals("segment", a.commandSpec().name());
    assertEquals("20261125", DeployFiles.option(a, "--run-id"));
    // incremental over the whole bucket: the same input every day, earlier days' images skipped
    assertEquals(DeployFiles.option(a, "--input"), DeployFiles.option(DeployFiles.parseJobArgs(airflowArgs("2026-11-26", 1)),
        "--input"));
    assertEquals("incremental", DeployFiles.option(a, "--mode"));
    // a retry of the same date: same run id (it resumes or is a no-op), its own summary file
    ParseResult retry = DeployFiles.parseJobArgs(airflowArgs("2026-11-25", 2));
    assertEquals("20261125", DeployFiles.option(retry, "--run-id"));
    assertEquals(DeployFiles.option(a, "--output"), DeployFiles.option(retry, "--output"));
    assertNotEquals(DeployFiles.option(a, "--summary-json"), DeployFiles.option(retry, "--summary-json"));
    // another date: another run id
    assertEquals("20261126", DeployFiles.option(DeployFiles.parseJobArgs(airflowArgs("2026-11-26", 1)), "--run-id"));
  }

  @Test
  void airflowSubmitsTheJobClassWithTheOneDefaultsFile() throws IOException {
    JsonNode spec = airflowSpec();
    assertEquals("io.sparkseg.job.cli.SparksegCli", spec.get("java_class").asText());
    assertTrue(spec.get("properties_file").asText().endsWith("/conf/sparkseg-defaults.properties"));
    assertEquals("/opt/sparkseg/conf", spec.get("env_vars").get("SPARKSEG_CONF_DIR").asText());
  }

  @Test
  void yarnWrapperSubmitsTheJarWithTheDefaultsFileAndPassesTheJobArguments(@TempDir Path tmp) throws Exception {
    List<String> job = List.of("segment", "--input", "hdfs:///images/2026-11-25", "--output", "hdfs:///out",
        "--model", "hdfs:///models/m", "--run-id", "20261125", "--summary-json", "hdfs:///out/s.json");
    List<String> args = new ArrayList<>(List.of("--gpu"));
    args.addAll(job);
    List<String> words = yarnDryRun(tmp, Map.of("GPU_NATIVES_JAR", "/opt/djl/pytorch-native-cu128-2.7.1-linux-x86_64.jar"),
        args, 0);

    assertEquals("/opt/spark/bin/spark-submit", words.get(0));
    assertEquals("yarn", after(words, "--master"));
    assertEquals("cluster", after(words, "--deploy-mode"));
    assertEquals(DeployFiles.defaultsFile().toString(), after(words, "--properties-file"));
    assertEquals("io.sparkseg.job.cli.SparksegCli", after(words, "--class"));
    String files = after(words, "--files");
    assertTrue(files.contains(DeployFiles.defaultsFile() + "#sparkseg-defaults.properties"), files);
    assertTrue(files.contains("getGpusResources.sh") && files.contains("pytorch-native-cu128"), files);
    Map<String, String> confs = confs(words);
    assertEquals(".", confs.get("spark.yarn.appMasterEnv.SPARKSEG_CONF_DIR"));
    assertEquals("1", confs.get("spark.executor.resource.gpu.amount"));
    assertEquals("./getGpusResources.sh", confs.get("spark.executor.resource.gpu.discoveryScript"));
    assertEquals("0.5", confs.get("spark.task.resource.gpu.amount"));
    assertEquals("pytorch-native-cu128-2.7.1-linux-x86_64.jar", confs.get("spark.executor.extraClassPath"));
    // the jar, then exactly the job arguments, which the job accepts
    int jarAt = words.indexOf(after(words, "--class")) + 1;
    assertTrue(words.get(jarAt).endsWith("job/target/sparkseg-0.1.0-SNAPSHOT.jar"), words.get(jarAt));
    List<String> passed = words.subList(jarAt + 1, words.size());
    assertEquals(job, passed);
    DeployFiles.parseJobArgs(passed);
  }

  @Test
  void yarnWrapperKeepsQuotedExtraConfValuesWhole(@TempDir Path tmp) throws Exception {
    String javaOptions = "-Dsparkseg.a=1 -Dsparkseg.b='two words'";
    List<String> words = yarnDryRun(tmp, Map.of("SPARK_EXTRA_CONF", "--conf \"spark.driver.extraJavaOptions="
        + javaOptions + "\"  --conf spark.sql.shuffle.partitions=8 --conf 'spark.x=*' --conf 'spark.y=$(exit 9)'"),
        List.of("segment", "--run-id", "r"), 0);
    Map<String, String> confs = confs(words);
    assertEquals(javaOptions, confs.get("spark.driver.extraJavaOptions"), words.toString());
    assertEquals("8", confs.get("spark.sql.shuffle.partitions"));
    assertEquals("*", confs.get("spark.x"), "not a glob");
    assertEquals("$(exit 9)", confs.get("spark.y"), "not run");
    assertEquals(List.of("segment", "--run-id", "r"), words.subList(words.size() - 3, words.size()));

    List<String> err = yarnDryRun(tmp, Map.of("SPARK_EXTRA_CONF", "--conf 'spark.x=1"), List.of("segment"), 2);
    assertTrue(err.toString().contains("SPARK_EXTRA_CONF has an unmatched quote"), err.toString());
  }

  /**
   * The words deploy/yarn/submit.sh prints under DRY_RUN with {@code env} and {@code args} (stderr's
   * lines when it exits with {@code exitCode} other than 0).
   */
  private static List<String> yarnDryRun(Path tmp, Map<String, String> env, List<String> args, int exitCode)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", DeployFiles.deploy("yarn/submit.sh").toString()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
    pb.environment().put("DRY_RUN", "1");
    pb.environment().put("SPARK_SUBMIT", "/opt/spark/bin/spark-submit");
    for (String k : List.of("SPARKSEG_CONF", "SPARKSEG_JAR", "SPARKSEG_HOME", "SPARK_EXTRA_CONF", "GPU_NATIVES_JAR",
        "GPU_NATIVES_PATH")) {
      pb.environment().remove(k);
    }
    pb.environment().putAll(env);
    Path err = Files.createTempFile(tmp, "submit", ".err");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(exitCode, p.exitValue(), Files.readString(err));
    return List.of((exitCode == 0 ? out : Files.readString(err)).split("\n"));
  }

  @Test
  void airflowDagCompilesAndPassesTheStubHarness(@TempDir Path tmp) throws Exception {
    assertTrue(Files.isExecutable(PYTHON), "bin/install-deps installs /usr/bin/python3");
    Path dag = DeployFiles.deploy("airflow/sparkseg_daily.py");
    run(tmp, PYTHON.toString(), "-c",
        "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)",
        dag.toString(), tmp.resolve("dag.pyc").toString());
    String harness = DeployFiles.deploy("airflow/check_dag_with_stubs.py").toString();
    String checks = run(tmp, PYTHON.toString(), "-B", harness);
    assertTrue(checks.contains("ok - check_summary"), checks);
    // what the DAG itself renders (jinja2 where installed) is what this test parses
    String printed = run(tmp, PYTHON.toString(), "-B", harness, "--print-args", "2026-11-25").strip();
    List<String> fromPython = new ArrayList<>();
    JSON.readTree(printed).forEach(n -> fromPython.add(n.asText()));
    assertEquals(airflowArgs("2026-11-25", 1), fromPython);
  }

  private static String run(Path tmp, String... cmd) throws Exception {
    Path log = Files.createTempFile(tmp, "py", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + out);
    return out;
  }

  private static String after(List<String> words, String flag) {
    int i = words.indexOf(flag);
    assertTrue(i >= 0 && i + 1 < words.size(), "no " + flag + " in " + words);
    return words.get(i + 1);
  }

  private static Map<String, String> confs(List<String> words) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    for (int i = 0; i + 1 < words.size(); i++) {
      if (words.get(i).equals("--conf")) {
        String[] kv = words.get(i + 1).split("=", 2);
        out.put(kv[0], kv[1]);
      }
    }
    return out;
  }
}
