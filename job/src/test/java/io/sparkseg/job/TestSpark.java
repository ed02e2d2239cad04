package io.sparkseg.job;

import io.sparkseg.job.config.Defaults;
import io.sparkseg.job.cli.SparksegCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;

/**
 * Shared test fixtures: one local[4] SparkSession per test JVM with Hive support on an embedded
 * Derby metastore in a temp folder (so commands reuse it instead of starting their own) and a
 * one-second executor heartbeat, the repo's sample images and model bundle, and an in-process
 * CLI runner that captures output.
 */
public final class TestSpark {
  private static SparkSession spark;
  private static Path scratch;

  private TestSpark() {}

  public static synchronized SparkSession session() {
    if (spark == null) {
      try {
        scratch = Files.createTempDirectory("sparkseg-test-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      System.setProperty("derby.system.home", scratch.toString());
      System.setProperty("derby.stream.error.file", scratch.resolve("derby.log").toString());
      spark = SparkSession.builder()
          .master("local[4]")
          .appName("sparkseg-tests")
          .config("spark.ui.enabled", "false")
          .config("spark.sql.shuffle.partitions", "4")
          .config("spark.default.parallelism", "4")
          // running tasks' accumulator updates reach the driver with each heartbeat (default 10 s):
          // ProgressReporterTest needs them within seconds. The interval is also the heartbeat's
          // RPC timeout, and after maxFailures missed ones in a row a local executor exits the JVM:
          // 600 x 1 s keeps Spark's default 10 minutes of tolerance on a loaded machine
          .config("spark.executor.heartbeatInterval", "1s")
          .config("spark.executor.heartbeat.maxFailures", "600")
          .config("spark.sql.warehouse.dir", scratch.resolve("warehouse").toString())
          .config("spark.hadoop.javax.jdo.option.ConnectionURL",
              "jdbc:derby:;databaseName=" + scratch.resolve("metastore_db") + ";create=true")
          .config("spark.sql.catalogImplementation", "hive")
          .config("spark.plugins", io.sparkseg.job.metrics.SparksegMetricsPlugin.class.getName())
          .getOrCreate();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> spark.stop()));
    }
    return spark;
  }

  public static Path repoRoot() {
    String root = System.getProperty("sparkseg.repo.root");
    Path p = root != null ? Path.of(root) : Path.of("..").toAbsolutePath().normalize();
    if (!Files.isDirectory(p.resolve("samples"))) {
      p = Path.of("").toAbsolutePath().getParent();
    }
    return p;
  }

  public static Path modelDir() {
    return repoRoot().resolve("samples/model");
  }

  /**
   * The embedded bundle is committed with the repository: a test that needs it fails (never skips)
   * when it is missing, so a broken checkout cannot pass CI with the model tests silently skipped.
   */
  public static void requireModel() {
    if (!Files.isRegularFile(modelDir().resolve("model.json")) || !Files.isRegularFile(modelDir().resolve("model.pt"))) {
      throw new AssertionError("the embedded model bundle is missing: " + modelDir() + " must hold model.json and model.pt");
    }
  }

  /** The first {@code n} sample images (sorted by name). */
  public static List<Path> sampleImages(int n) {
    try (Stream<Path> s = Files.list(repoRoot().resolve("samples/images"))) {
      return s.filter(p -> p.toString().endsWith(".jpg")).sorted().limit(n).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies the first {@code n} sample images into {@code dir}. */
  public static List<Path> copySamples(Path dir, int n) throws IOException {
    Files.createDirectories(dir);
    List<Path> out = new ArrayList<>();
    for (Path p : sampleImages(n)) {
      out.add(Files.copy(p, dir.resolve(p.getFileName())));
    }
    return out;
  }

  /** The outcome of an in-process CLI run. */
  public record CliResult(int exitCode, String out, String err) {}

  /** Runs {@code sparkseg args...} in this JVM (on the shared session) and captures its output. */
  public static CliResult cli(String... args) {
    session();
    CommandLine cl = SparksegCli.commandLine(Defaults.load());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new CliResult(code, out.toString(), err.toString());
  }
}
