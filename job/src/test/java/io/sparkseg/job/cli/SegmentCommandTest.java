package io.sparkseg.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkseg.core.model.ModelBundle;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.config.Defaults;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Option handling and driver-side validation: everything here fails before any task runs. */
class SegmentCommandTest {
  @TempDir
  Path tmp;

  @Test
  void helpIsAvailableForEveryCommand() {
    TestSpark.CliResult top = TestSpark.cli("--help");
    assertEquals(0, top.exitCode());
    assertTrue(top.out().contains("segment"), top.out());
    TestSpark.CliResult seg = TestSpark.cli("segment", "--help");
    assertEquals(0, seg.exitCode());
    for (String opt : new String[] {"--input", "--manifest", "--coco-images", "--image-root", "--output", "--model",
        "--run-id", "--batch-size", "--score-threshold", "--mask-threshold", "--partitions", "--max-image-pixels",
        "--max-image-bytes",
        "--max-failed-fraction", "--summary-json", "--register-tables", "--coco-results", "--flip-test", "--conf"}) {
      assertTrue(seg.out().contains(opt), opt + " missing from help");
    }
    CommandLine cl = SparksegCli.commandLine(Defaults.load());
    for (String sub : cl.getSubcommands().keySet()) {
      assertEquals(0, TestSpark.cli(sub, "--help").exitCode(), sub);
    }
  }

  @Test
  void badOptionsExitWith2AndSayWhy() {
    Path out = tmp.resolve("out");
    TestSpark.CliResult r = TestSpark.cli("segment", "--output", out.toString());
    assertEquals(ExitCodes.USAGE, r.exitCode());
    assertTrue(r.err().contains("no input"), r.err());
    r = TestSpark.cli("segment", "--input", tmp.toString(), "--manifest", "m.csv", "--output", out.toString());
    assertEquals(ExitCodes.USAGE, r.exitCode());
    assertTrue(r.err().contains("only one of"), r.err());
    r = TestSpark.cli("segment", "--input", tmp.toString(), "--output", out.toString(), "--batch-size", "0",
        "--score-threshold", "1.5", "--run-id", "a/b", "--max-failed-fraction", "2");
    assertEquals(ExitCodes.USAGE, r.exitCode());
    assertTrue(r.err().contains("--batch-size") && r.err().contains("--score-threshold")
        && r.err().contains("--run-id") && r.err().contains("--max-failed-fraction"), r.err());
    // w * h * 3 of 800 M pixels is over what a Java array holds (it overflowed an int in the decoder)
    r = TestSpark.cli("segment", "--input", tmp.toString(), "--output", out.toString(), "--max-image-pixels",
        "800000000", "--max-image-bytes", "3000000000");
    assertEquals(ExitCodes.USAGE, r.exitCode());
    assertTrue(r.err().contains("--max-image-pixels must be in [1, 715827879]")
        && r.err().contains("--max-image-bytes must be in [1, 2147483639]"), r.err());
    r = TestSpark.cli("segment", "--input", tmp.toString(), "--output", out.toString(), "--batch-size", "many");
    assertEquals(ExitCodes.USAGE, r.exitCode());
    r = TestSpark.cli("segment", "--input", tmp.toString());
    assertEquals(ExitCodes.USAGE, r.exitCode());
    assertTrue(r.err().contains("--output is required"), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void aBadRegisterTablesNameExitsWith2BeforeAnyTask() throws Exception {
    TestSpark.CliResult r = segmentOneImage("--register-tables", "team-db");
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
    assertTrue(r.err().contains("--register-tables needs a plain database name ([A-Za-z_][A-Za-z0-9_]*), got 'team-db'"),
        r.err());
    assertFalse(Files.exists(tmp.resolve("out")), "nothing was written");
  }

  @Test
  void registeringDeltaTablesInASessionWithoutDeltaExitsWith2BeforeAnyTask() throws Exception {
    // a notebook's session: started without Delta; the catalog can still be set, the extension not
    SparkSession.setActiveSession(TestSpark.session().newSession());
    try {
      TestSpark.CliResult r = segmentOneImage("--table-format", "delta", "--register-tables", "lakehouse");
      assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
      assertTrue(r.err().contains("the Spark session must start with spark.sql.extensions including "
          + "io.delta.sql.DeltaSparkSessionExtension"), r.err());
      r = segmentOneImage("--table-format", "delta", "--register-tables", "lakehouse",
          "--conf", "spark.sql.catalog.spark_catalog=org.example.OtherCatalog");
      assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
      assertTrue(r.err().contains("spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog "
          + "(the session has org.example.OtherCatalog)"), r.err());
    } finally {
      SparkSession.setActiveSession(TestSpark.session());
    }
    assertFalse(Files.exists(tmp.resolve("out")), "nothing was written");
  }

  /** {@code segment} of one sample image into tmp/out with the sample model and {@code options}. */
  private TestSpark.CliResult segmentOneImage(String... options) throws Exception {
    Path images = tmp.resolve("images");
    if (!Files.isDirectory(images)) {
      TestSpark.copySamples(images, 1);
    }
    List<String> args = new ArrayList<>(List.of("segment", "--input", images.toString(), "--output",
        tmp.resolve("out").toString(), "--model", TestSpark.modelDir().toString()));
    args.addAll(List.of(options));
    return TestSpark.cli(args.toArray(new String[0]));
  }

  @Test
  void uriLoginsInAnyOptionAreRefusedMaskedBeforeAnything() {
    TestSpark.CliResult r = TestSpark.cli("report", "--output", "s3a://AKIA:reportPw789@bucket/out", "--run-id", "x");
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
    assertTrue(r.err().contains("sparkseg report: --output s3a://***@bucket/out: the URI holds login details"), r.err());
    Path out = tmp.resolve("login-out");
    r = TestSpark.cli("segment", "--input", tmp.toString(), "--output", out.toString(),
        "--conf", "spark.hadoop.fs.defaultFS=hdfs://user:confPw321@nn:8020/");
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
    assertTrue(r.err().contains("--conf spark.hadoop.fs.defaultFS=hdfs://***@nn:8020/"), r.err());
    assertTrue(r.err().contains("spark.hadoop.fs.s3a.access.key"), "says where credentials go: " + r.err());
    assertFalse(r.err().contains("reportPw789") || r.err().contains("confPw321"), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void aBadModelBundleFailsOnTheDriverBeforeAnyTask() throws Exception {
    Path images = tmp.resolve("images");
    TestSpark.copySamples(images, 1);
    Path bundle = tmp.resolve("bundle");
    Files.createDirectories(bundle);
    Path out = tmp.resolve("out");
    TestSpark.CliResult r = TestSpark.cli("segment", "--input", images.toString(), "--output", out.toString(),
        "--model", bundle.toString());
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
    assertTrue(r.err().contains("model.json"), r.err());
    Files.writeString(bundle.resolve("model.json"), "{\"format\": \"sparkseg-bundle/1\"");
    r = TestSpark.cli("segment", "--input", images.toString(), "--output", out.toString(), "--model", bundle.toString());
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
    r = TestSpark.cli("segment", "--input", images.toString(), "--output", out.toString(),
        "--model", tmp.resolve("no-such-bundle").toString());
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
    assertFalse(Files.exists(out), "nothing was written");
  }

  /** A copy of the sample bundle's model.json beside {@code modelBytes} as model.pt, with their sha256: a valid descriptor. */
  private Path bundleAround(String name, byte[] modelBytes) throws Exception {
    Path bundle = Files.createDirectories(tmp.resolve(name));
    Files.write(bundle.resolve("model.pt"), modelBytes);
    ObjectNode d = (ObjectNode) new ObjectMapper().readTree(TestSpark.modelDir().resolve("model.json").toFile());
    d.put("sha256", ModelBundle.sha256Hex(bundle.resolve("model.pt")));
    new ObjectMapper().writeValue(bundle.resolve("model.json").toFile(), d);
    return bundle;
  }

  /** Runs segment on one sample image with {@code bundle}; asserts it exits 2 before any task and returns stderr. */
  private String failsOnTheDriver(Path bundle) throws Exception {
    Path images = tmp.resolve("images-" + bundle.getFileName());
    TestSpark.copySamples(images, 1);
    Path out = tmp.resolve("out-" + bundle.getFileName());
    AtomicInteger tasks = new AtomicInteger();
    SparkListener listener = new SparkListener() {
      @Override
      public void onTaskStart(SparkListenerTaskStart e) {
        tasks.incrementAndGet();
      }
    };
    SparkContext sc = TestSpark.session().sparkContext();
    sc.addSparkListener(listener);
    TestSpark.CliResult r;
    try {
      r = TestSpark.cli("segment", "--input", images.toString(), "--output", out.toString(), "--model",
          bundle.toString());
      sc.listenerBus().waitUntilEmpty();
    } finally {
      sc.removeSparkListener(listener);
    }
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
    assertEquals(0, tasks.get(), "no task started");
    assertFalse(Files.exists(out), "nothing was written");
    return r.err();
  }

  @Test
  void aModelFileLibtorchCannotLoadFailsOnTheDriverBeforeAnyTask() throws Exception {
    byte[] junk = new byte[4096];
    new Random(3).nextBytes(junk);
    String err = failsOnTheDriver(bundleAround("corrupt-model", junk));
    assertTrue(err.contains("corrupt-model/model.pt: libtorch cannot load it as a TorchScript model"), err);
  }

  @Test
  void aModelFileThatBreaksTheOutputContractFailsOnTheDriverBeforeAnyTask() throws Exception {
    byte[] threeOutputs;
    try (InputStream in = getClass().getResourceAsStream("/bundles/three_outputs.pt")) {
      threeOutputs = in.readAllBytes();
    }
    String err = failsOnTheDriver(bundleAround("contract-breaker", threeOutputs));
    assertTrue(err.contains("contract-breaker/model.pt") && err.contains("returned 3 outputs, its bundle declares 7"),
        err);
  }

  @Test
  void aFlipTheBundleCannotSwitchFailsOnTheDriverBeforeAnyTask() throws Exception {
    TestSpark.CliResult r = TestSpark.cli("segment", "--input", tmp.toString(), "--output",
        tmp.resolve("o").toString(), "--flip-test", "sometimes");
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
    assertTrue(r.err().contains("--flip-test must be auto, on or off, got 'sometimes'"), r.err());
    TestSpark.requireModel();
    // the sample bundle as an older exporter wrote it: same model.pt, no declared flip switch
    Path images = tmp.resolve("images");
    TestSpark.copySamples(images, 1);
    Path bundle = tmp.resolve("old-bundle");
    Files.createDirectories(bundle);
    Files.copy(TestSpark.modelDir().resolve("model.pt"), bundle.resolve("model.pt"));
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode d =
        (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(TestSpark.modelDir().resolve("model.json").toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) d.get("input")).remove("optional_inputs");
    d.remove("test_time");
    json.writeValue(bundle.resolve("model.json").toFile(), d);
    Path out = tmp.resolve("out");
    r = TestSpark.cli("segment", "--input", images.toString(), "--output", out.toString(),
        "--model", bundle.toString(), "--flip-test", "on");
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
    assertTrue(r.err().contains("cannot switch flip test-time augmentation on") && r.err().contains("rebundle"), r.err());
    assertFalse(Files.exists(out), "nothing was written");
  }

  @Test
  void unreadableInputFailsBeforeAnyTask() {
    Path out = tmp.resolve("out");
    TestSpark.CliResult r = TestSpark.cli("segment", "--input", tmp.resolve("nothing-here").toString(),
        "--output", out.toString(), "--model", TestSpark.modelDir().toString());
    TestSpark.requireModel();
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
    assertTrue(r.err().contains("nothing-here"), r.err());
    r = TestSpark.cli("segment", "--manifest", tmp.resolve("m.csv").toString(),
        "--output", out.toString(), "--model", TestSpark.modelDir().toString());
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
    assertTrue(r.err().contains("manifest"), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void defaultsComeFromTheConfigFileAndFlagsOverrideThem() {
    Properties p = new Properties();
    p.setProperty("segment.batch-size", "7");
    p.setProperty("max-failed-fraction", "0.25");
    p.setProperty("segment.score-threshold", "");
    p.setProperty("segment.model", "s3a://bucket/models/m1");
    CommandLine cl = SparksegCli.commandLine(Defaults.of(p));
    CommandLine.ParseResult pr = cl.parseArgs("segment", "--input", "x", "--output", "y");
    SegmentCommand c = (SegmentCommand) pr.subcommand().commandSpec().userObject();
    assertEquals(7, c.batchSize);
    assertEquals(0.25, c.maxFailedFraction);
    assertNull(c.scoreThreshold, "empty value = no default");
    assertEquals("s3a://bucket/models/m1", c.model);
    assertEquals(0, c.partitions, "built-in default when the file has none");
    cl = SparksegCli.commandLine(Defaults.of(p));
    pr = cl.parseArgs("segment", "--input", "x", "--output", "y", "--batch-size", "2");
    assertEquals(2, ((SegmentCommand) pr.subcommand().commandSpec().userObject()).batchSize);
  }

  @Test
  void theRepoConfigFileIsFoundAndPointsAtTheSampleModel() {
    Defaults d = Defaults.load();
    assertTrue(d.source().endsWith("conf/sparkseg-defaults.properties") || d.source().startsWith("classpath:"), d.source());
    assertEquals("samples/model", d.get("segment", "model"));
    // bench e2e/soak and the ML transformer build their pipeline from the same default
    assertEquals(String.valueOf(io.sparkseg.job.config.SegmentKeys.PREFETCH_DEFAULT), d.get("segment", "prefetch"));
    String uri = SegmentCommand.resolveModel("samples/model", new org.apache.hadoop.conf.Configuration());
    assertEquals("file:" + TestSpark.modelDir().toAbsolutePath().normalize(), uri);
  }
}
