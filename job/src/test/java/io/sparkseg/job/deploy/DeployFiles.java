package io.sparkseg.job.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.job.config.Defaults;
import io.sparkseg.job.cli.SparksegCli;
import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** Shared helpers for the deploy/ tests: file locations, the defaults file, the job's CLI parser. */
final class DeployFiles {
  private DeployFiles() {}

  static Path repo() {
    return SegmentClusterIT.repoRoot();
  }

  static Path deploy(String relative) {
    Path p = repo().resolve("deploy").resolve(relative);
    assertTrue(Files.isRegularFile(p), "missing " + p);
    return p;
  }

  static Path defaultsFile() {
    return repo().resolve("conf").resolve(Defaults.FILE_NAME);
  }

  /** Each Spark line's cluster jar file name, from deploy/spark-lines.properties (the one place that names them). */
  static Map<String, String> lineJars() throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(deploy("spark-lines.properties"), StandardCharsets.UTF_8)) {
      p.load(r);
    }
    Map<String, String> out = new TreeMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k).trim()));
    return out;
  }

  /** The spark.* keys of conf/sparkseg-defaults.properties (what spark-submit --properties-file applies). */
  static Map<String, String> sparkKeysOfDefaults() throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(defaultsFile(), StandardCharsets.UTF_8)) {
      p.load(r);
    }
    Map<String, String> out = new TreeMap<>();
    for (String k : p.stringPropertyNames()) {
      if (k.startsWith("spark.")) {
        out.put(k, p.getProperty(k).trim());
      }
    }
    return out;
  }

  /**
   * Parses a job argument list with the job's real command line ({@link SparksegCli} with the
   * repo's defaults file), without running anything, and asserts the subcommand's own option
   * checks pass too. Returns the parse result of the subcommand.
   */
  static ParseResult parseJobArgs(List<String> args) {
    CommandLine cl = SparksegCli.commandLine(Defaults.load());
    ParseResult top = cl.parseArgs(args.toArray(new String[0]));
    assertTrue(top.hasSubcommand(), "no subcommand in " + args);
    ParseResult sub = top.subcommand();
    assertEquals(args.get(0), sub.commandSpec().name());
    Object command = sub.commandSpec().userObject();
    // the command's option validation (the same checks `call()` runs before starting Spark)
    try {
      Method validate = command.getClass().getDeclaredMethod("validateOptions");
      validate.setAccessible(true);
      Object problems = validate.invoke(command);
      assertEquals(List.of(), problems, "the job rejects " + args);
    } catch (NoSuchMethodException e) {
      // a command without separate validation: parsing is the check
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
    return sub;
  }

  static String option(ParseResult pr, String name) {
    return pr.matchedOptionValue(name, (String) null);
  }
}
