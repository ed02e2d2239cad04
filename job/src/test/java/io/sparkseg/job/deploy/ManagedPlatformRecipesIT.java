package io.sparkseg.job.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.compat.ScalaApi;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.apache.spark.deploy.SparkSubmitArguments;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The managed-platform recipes (deploy/emr, deploy/dataproc, deploy/databricks), checked as far as no
 * cluster allows: each run.sh is run with DRY_RUN=1 and the files it fills are parsed; every
 * spark-submit argument list goes through Spark's own parser ({@link SparkSubmitArguments}) and the job
 * arguments through the job's CLI; each platform runs the Spark line it is built for
 * ({@link #PLATFORM_LINE}), whose jar deploy/spark-lines.properties names; every recipe carries the
 * spark.* keys of conf/sparkseg-defaults.properties; the default line's built jar holds what the
 * platforms lack and none of what they bring. A Failsafe IT: the shaded jar exists only after package.
 */
class ManagedPlatformRecipesIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String MAIN_CLASS = "io.sparkseg.job.cli.SparksegCli";

  /** Which Spark line each platform runs: Spark x Scala of its runtime (deploy/README.md, with sources). */
  static final Map<String, String> PLATFORM_LINE = Map.of(
      "emr-7", "spark3.5_2.12",
      "dataproc-2.2", "spark3.5_2.12",
      "databricks-15.4-lts", "spark3.5_2.12",
      "databricks-17.3-lts", "spark4.0_2.13");

  static String jarOf(String platform) throws IOException {
    return DeployFiles.lineJars().get(PLATFORM_LINE.get(platform));
  }

  @Test
  void everyLineHasItsOwnJarAndTheDefaultLineIsTheOneMavenBuilds() throws IOException {
    Map<String, String> jars = DeployFiles.lineJars();
    assertEquals(List.of("spark3.5_2.12", "spark3.5_2.13", "spark4.0_2.13", "spark4.1_2.13"), List.copyOf(jars.keySet()));
    assertEquals(4, Set.copyOf(jars.values()).size(), "one jar per line: " + jars);
    jars.forEach((line, jar) -> assertTrue(jar.endsWith(".jar") && !jar.contains("/"), line + " -> " + jar));
    // the default line's jar is what `mvn package` builds (job/pom.xml's shade finalName)
    assertTrue(Files.isRegularFile(DeployFiles.repo().resolve("job/target").resolve(jars.get("spark4.0_2.13"))),
        "build it: mvn -pl job -am package -DskipTests");
    assertTrue(PLATFORM_LINE.values().stream().allMatch(jars::containsKey));
  }

  // ---- Amazon EMR ----

  @Test
  void emrStepIsASparkSubmitOfTheSpark35JarOnYarnWithGpuExecutors(@TempDir Path tmp) throws Exception {
    List<List<String>> cmds = dryRun(tmp, "emr/run.sh", Map.of("S3_ROOT", "s3://bkt/sparkseg", "RUN_ID", "20261207"),
        "create");
    JsonNode steps = JSON.readTree(tmp.resolve("render/step.json").toFile());
    assertEquals(1, steps.size());
    JsonNode step = steps.get(0);
    assertEquals("command-runner.jar", step.get("Jar").asText());
    List<String> args = strings(step.get("Args"));
    assertEquals("spark-submit", args.get(0));
    SparkSubmitArguments s = sparkSubmit(args.subList(1, args.size()));
    assertEquals("yarn", s.master());
    assertEquals("cluster", s.deployMode());
    assertEquals(MAIN_CLASS, s.mainClass());
    assertEquals("s3://bkt/sparkseg/jars/" + jarOf("emr-7"), s.primaryResource());
    Map<String, String> conf = sparkProperties(s);
    assertEquals("1", conf.get("spark.executor.resource.gpu.amount"));
    assertEquals("0.5", conf.get("spark.task.resource.gpu.amount"));
    assertEquals("/opt/sparkseg/bin/getGpusResources.sh", conf.get("spark.executor.resource.gpu.discoveryScript"));
    assertEquals("/opt/sparkseg/natives/*", conf.get("spark.executor.extraClassPath"));
    var job = DeployFiles.parseJobArgs(childArgs(s));
    assertEquals("s3://bkt/sparkseg/images", DeployFiles.option(job, "--input"));
    assertEquals("20261207", DeployFiles.option(job, "--run-id"));

    // the cluster: EMR 7, the configurations file, the bootstrap action that installs what the conf names
    List<String> create = command(cmds, "create-cluster");
    assertEquals("emr-7.13.0", after(create, "--release-label"));
    assertEquals("file://" + DeployFiles.deploy("emr/configurations.json"), after(create, "--configurations"));
    assertTrue(after(create, "--bootstrap-actions").startsWith("Path=s3://bkt/sparkseg/bootstrap/bootstrap-gpu.sh,"));
    assertEquals("s3://bkt/sparkseg/jars/" + jarOf("emr-7"), command(cmds, "s3://bkt/sparkseg/jars/" + jarOf("emr-7"))
        .get(4));
    String bootstrap = Files.readString(DeployFiles.deploy("emr/bootstrap-gpu.sh"));
    assertTrue(bootstrap.contains("/opt/sparkseg/bin/getGpusResources.sh") && bootstrap.contains("/opt/sparkseg/natives"));
    assertTrue(command(cmds, "s3://bkt/sparkseg/bootstrap/getGpusResources.sh").get(3)
        .endsWith("deploy/gpu/getGpusResources.sh"));
  }

  @Test
  void emrConfigurationsCarryTheDefaultsFileAndYarnGpuScheduling() throws IOException {
    JsonNode configurations = JSON.readTree(DeployFiles.deploy("emr/configurations.json").toFile());
    Map<String, JsonNode> byClass = new LinkedHashMap<>();
    configurations.forEach(c -> byClass.put(c.get("Classification").asText(), c));
    assertEquals(DeployFiles.sparkKeysOfDefaults(), stringMap(byClass.get("spark-defaults").get("Properties")));
    JsonNode yarn = byClass.get("yarn-site").get("Properties");
    assertEquals("yarn.io/gpu", yarn.get("yarn.resource-types").asText());
    assertEquals("yarn.io/gpu", yarn.get("yarn.nodemanager.resource-plugins").asText());
    assertEquals("org.apache.hadoop.yarn.util.resource.DominantResourceCalculator",
        byClass.get("capacity-scheduler").get("Properties").get("yarn.scheduler.capacity.resource-calculator").asText());
    assertNotNull(byClass.get("container-executor"));
  }

  @Test
  void emrSubmitToARunningClusterAddsTheSameStep(@TempDir Path tmp) throws Exception {
    List<List<String>> cmds = dryRun(tmp, "emr/run.sh", Map.of("S3_ROOT", "s3://bkt/sparkseg/"), "submit", "j-ABC");
    List<String> add = command(cmds, "add-steps");
    assertEquals("j-ABC", after(add, "--cluster-id"));
    assertEquals("file://" + tmp.resolve("render/step.json"), after(add, "--steps"));
    assertFalse(cmds.stream().anyMatch(c -> c.contains("create-cluster")));
  }

  // ---- Google Dataproc ----

  @Test
  void dataprocJobIsTheSpark35JarInClusterModeOnJava17(@TempDir Path tmp) throws Exception {
    List<List<String>> cmds = dryRun(tmp, "dataproc/run.sh",
        Map.of("GCS_ROOT", "gs://bkt/sparkseg", "REGION", "europe-west4", "RUN_ID", "20261207"), "submit");
    List<String> submit = command(cmds, "submit");
    assertEquals(List.of("gcloud", "dataproc", "jobs", "submit", "spark"), submit.subList(0, 5));
    // gcloud's words as spark-submit's: --properties k=v (delimiter '#') become --conf k=v, the jar
    // that holds --class is the application jar, the words after "--" its arguments
    String properties = after(submit, "--properties");
    assertTrue(properties.startsWith("^#^"), properties);
    List<String> words = new ArrayList<>();
    for (String kv : properties.substring(3).split("#")) {
      words.add("--conf");
      words.add(kv);
    }
    words.addAll(List.of("--master", "yarn", "--class", after(submit, "--class"), after(submit, "--jars")));
    words.addAll(submit.subList(submit.indexOf("--") + 1, submit.size()));
    SparkSubmitArguments s = sparkSubmit(words);
    assertEquals(MAIN_CLASS, s.mainClass());
    assertEquals("gs://bkt/sparkseg/jars/" + jarOf("dataproc-2.2"), s.primaryResource());
    assertEquals("cluster", s.deployMode());
    Map<String, String> conf = sparkProperties(s);
    String java17 = "/usr/lib/jvm/java-17-openjdk-amd64";
    assertEquals(java17, conf.get("spark.yarn.appMasterEnv.JAVA_HOME"));
    assertEquals(java17, conf.get("spark.executorEnv.JAVA_HOME"));
    assertTrue(Files.readString(DeployFiles.deploy("dataproc/sparkseg-node.sh")).contains("java17=" + java17),
        "the init action installs the JDK the job points at");
    assertEquals("1", conf.get("spark.executor.resource.gpu.amount"));
    assertEquals("/opt/sparkseg/bin/getGpusResources.sh", conf.get("spark.executor.resource.gpu.discoveryScript"));
    DeployFiles.sparkKeysOfDefaults().forEach((k, v) -> assertEquals(v, conf.get(k), k));
    var job = DeployFiles.parseJobArgs(childArgs(s));
    assertEquals("gs://bkt/sparkseg/out", DeployFiles.option(job, "--output"));
    assertEquals("20261207", DeployFiles.option(job, "--run-id"));
  }

  @Test
  void dataprocClusterIsImage22WithWorkerGpusAndBothInitActions(@TempDir Path tmp) throws Exception {
    List<List<String>> cmds = dryRun(tmp, "dataproc/run.sh", Map.of("GCS_ROOT", "gs://bkt/sparkseg", "REGION", "r1"),
        "create");
    List<String> create = command(cmds, "create");
    assertEquals("2.2-debian12", after(create, "--image-version"));
    assertEquals("type=nvidia-tesla-t4,count=1", after(create, "--worker-accelerator"));
    assertEquals("gs://bkt/sparkseg/init/install_gpu_driver.sh,gs://bkt/sparkseg/init/sparkseg-node.sh",
        after(create, "--initialization-actions"));
    assertTrue(after(create, "--metadata").contains("sparkseg-root=gs://bkt/sparkseg"));
    assertTrue(Files.readString(DeployFiles.deploy("dataproc/sparkseg-node.sh")).contains("attributes/sparkseg-root"));
  }

  // ---- Databricks ----

  @Test
  void databricksJobsRunTheirRuntimesLineAsAJarTaskWithTheNativesInitScript(@TempDir Path tmp) throws Exception {
    for (String runtime : List.of("15.4-lts", "17.3-lts")) {
      Path out = tmp.resolve(runtime);
      List<List<String>> cmds = dryRun(out, "databricks/run.sh", Map.of("VOLUME", "/Volumes/main/sparkseg/files"),
          runtime);
      JsonNode job = JSON.readTree(out.resolve("render/job-" + runtime + ".json").toFile());
      JsonNode cluster = job.get("job_clusters").get(0).get("new_cluster");
      String jar = jarOf("databricks-" + runtime);
      JsonNode task = job.get("tasks").get(0);
      assertEquals(MAIN_CLASS, task.get("spark_jar_task").get("main_class_name").asText());
      assertEquals("/Volumes/main/sparkseg/files/jars/" + jar, task.get("libraries").get(0).get("jar").asText());
      assertEquals("dbfs:/Volumes/main/sparkseg/files/jars/" + jar, command(cmds, "fs").get(5));
      // the runtime's Scala matches the line's; dedicated (single user) compute: sparkseg uses RDDs
      String scala = PLATFORM_LINE.get("databricks-" + runtime).replaceFirst(".*_", "");
      assertTrue(cluster.get("spark_version").asText().endsWith("-gpu-ml-scala" + scala), cluster.toString());
      assertEquals("SINGLE_USER", cluster.get("data_security_mode").asText());
      // Java 17: the default from 16.0 on; 15.4 LTS starts on Java 8 unless JNAME picks 17
      JsonNode env = cluster.get("spark_env_vars");
      assertEquals(runtime.equals("15.4-lts") ? "zulu17-ca-amd64" : null,
          env.has("JNAME") ? env.get("JNAME").asText() : null);
      assertEquals("/Volumes/main/sparkseg/files/natives", env.get("SPARKSEG_NATIVES").asText());
      assertEquals("/Volumes/main/sparkseg/files/init/sparkseg-gpu-natives.sh",
          cluster.get("init_scripts").get(0).get("volumes").get("destination").asText());
      // the defaults file's spark.* keys but spark.plugins: a cluster library is installed after Spark
      // starts, so the plugin class would not be there when Spark loads it
      Map<String, String> conf = stringMap(cluster.get("spark_conf"));
      Map<String, String> expected = new TreeMap<>(DeployFiles.sparkKeysOfDefaults());
      expected.remove("spark.plugins");
      expected.forEach((k, v) -> assertEquals(v, conf.get(k), runtime + " " + k));
      assertFalse(conf.containsKey("spark.plugins"));
      List<String> params = new ArrayList<>();
      task.get("spark_jar_task").get("parameters")
          .forEach(p -> params.add(p.asText().replace("{{job.start_time.iso_date}}", "2026-12-07")));
      var parsed = DeployFiles.parseJobArgs(params);
      assertEquals("2026-12-07", DeployFiles.option(parsed, "--run-id"));
      assertEquals(List.of("databricks", "jobs", "create", "--json", "@" + out.resolve("render/job-" + runtime + ".json")),
          command(cmds, "create"));
    }
  }

  // ---- every recipe file ----

  @Test
  void everyRecipeFileParsesAndEveryScriptPassesBashN(@TempDir Path tmp) throws Exception {
    for (String json : List.of("emr/configurations.json", "emr/step.json", "databricks/job-15.4-lts.json",
        "databricks/job-17.3-lts.json")) {
      assertNotNull(JSON.readTree(DeployFiles.deploy(json).toFile()), json);
    }
    for (String sh : List.of("lib/recipes.sh", "emr/run.sh", "emr/bootstrap-gpu.sh", "dataproc/run.sh",
        "dataproc/sparkseg-node.sh", "databricks/run.sh", "databricks/sparkseg-gpu-natives.sh")) {
      Path script = DeployFiles.deploy(sh);
      Process p = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue(), sh + ": " + out);
    }
  }

  @Test
  void aTemplateLeftHalfFilledIsRefusedBeforeAnyCommand(@TempDir Path tmp) throws Exception {
    List<String> err = dryRunFailing(tmp, "emr/run.sh", Map.of("S3_ROOT", "s3://b/p", "RUN_ID", "${X}"), "create");
    assertTrue(err.toString().contains("placeholder left unfilled: ${X}"), err.toString());
  }

  // ---- the jar ----

  @Test
  void theDefaultLineJarHoldsWhatPlatformsLackAndNothingTheyBring() throws IOException {
    Path jar = DeployFiles.repo().resolve("job/target").resolve(DeployFiles.lineJars().get("spark4.0_2.13"));
    try (JarFile j = new JarFile(jar.toFile())) {
      assertEquals(MAIN_CLASS, j.getManifest().getMainAttributes().getValue("Main-Class"));
      for (String lacked : List.of("io/sparkseg/job/cli/SparksegCli.class", "ai/djl/pytorch/engine/PtEngine.class",
          "native/lib/pytorch.properties", "pytorch/cpu/linux-x86_64/libtorch_cpu.so",
          "jnilib/linux-x86_64/cpu/libdjl_torch.so", "jnilib/linux-x86_64/cu128/libdjl_torch.so",
          "picocli/CommandLine.class", "sparkseg-defaults.properties")) {
        assertNotNull(j.getEntry(lacked), jar.getFileName() + " lacks " + lacked);
      }
      List<String> brought = List.of("org/apache/spark/", "org/apache/hadoop/", "scala/", "io/delta/",
          "org/apache/iceberg/", "software/amazon/awssdk/", "com/amazonaws/", "com/google/cloud/hadoop/",
          "com/databricks/");
      List<String> found = j.stream().map(e -> e.getName())
          .filter(n -> brought.stream().anyMatch(n::startsWith)).limit(5).toList();
      assertEquals(List.of(), found, "the platforms bring these (Spark, Hadoop, Scala, table formats, cloud file systems)");
    }
  }

  // ---- helpers ----

  /** Spark's own spark-submit parser over {@code words}, on a cluster node's environment (HADOOP_CONF_DIR set). */
  static SparkSubmitArguments sparkSubmit(List<String> words) {
    scala.collection.immutable.Map<String, String> env = scala.collection.immutable.Map$.MODULE$.<String, String>empty()
        .updated("HADOOP_CONF_DIR", "/etc/hadoop/conf");
    return new SparkSubmitArguments(ScalaApi.asScala(words), env);
  }

  static Map<String, String> sparkProperties(SparkSubmitArguments s) {
    return new TreeMap<>(ScalaApi.asJava(s.sparkProperties()));
  }

  static List<String> childArgs(SparkSubmitArguments s) {
    return List.copyOf(ScalaApi.asJava(s.childArgs()));
  }

  /** Runs deploy/SCRIPT with DRY_RUN=1 and returns the commands it prints (render output in tmp/render). */
  private static List<List<String>> dryRun(Path tmp, String script, Map<String, String> env, String... args)
      throws Exception {
    Process p = start(tmp, script, env, args);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("stderr")));
    List<List<String>> cmds = new ArrayList<>();
    List<String> cur = new ArrayList<>();
    for (String w : out.split("\n", -1)) {
      if (w.equals("--end--")) {
        cmds.add(cur);
        cur = new ArrayList<>();
      } else if (!w.isEmpty() || !cur.isEmpty()) {
        cur.add(w);
      }
    }
    return cmds;
  }

  private static List<String> dryRunFailing(Path tmp, String script, Map<String, String> env, String... args)
      throws Exception {
    Process p = start(tmp, script, env, args);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue(), out);
    assertEquals("", out.strip(), "nothing run or printed before the refusal");
    return List.of(Files.readString(tmp.resolve("stderr")).split("\n"));
  }

  private static Process start(Path tmp, String script, Map<String, String> env, String... args) throws IOException {
    Files.createDirectories(tmp);
    List<String> cmd = new ArrayList<>(List.of("bash", DeployFiles.deploy(script).toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(tmp.resolve("stderr").toFile());
    for (String k : List.of("S3_ROOT", "GCS_ROOT", "VOLUME", "REGION", "INPUT", "OUTPUT", "MODEL", "RUN_ID",
        "GPU_NATIVES_JAR", "CLUSTER", "NODE_TYPE", "INSTANCE_TYPE", "NUM_EXECUTORS", "EMR_RELEASE")) {
      pb.environment().remove(k);
    }
    pb.environment().put("DRY_RUN", "1");
    pb.environment().put("RENDER_DIR", tmp.resolve("render").toString());
    pb.environment().putAll(env);
    return pb.start();
  }

  /** The first printed command containing {@code word}. */
  private static List<String> command(List<List<String>> cmds, String word) {
    return cmds.stream().filter(c -> c.contains(word)).findFirst()
        .orElseThrow(() -> new AssertionError("no command with " + word + " in " + cmds));
  }

  private static String after(List<String> words, String flag) {
    int i = words.indexOf(flag);
    assertTrue(i >= 0 && i + 1 < words.size(), "no " + flag + " in " + words);
    return words.get(i + 1);
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static Map<String, String> stringMap(JsonNode object) {
    Map<String, String> out = new TreeMap<>();
    object.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }
}
