package io.sparkseg.job.cli;

import io.sparkseg.job.cli.bench.BenchCommand;
import io.sparkseg.job.config.Defaults;
import io.sparkseg.job.secrets.RedactingWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code sparkseg} command line: {@code sparkseg segment ...} runs Mask R-CNN over images on
 * Spark; {@code sparkseg evaluate ...} scores results against COCO ground truth; {@code sparkseg report}
 * summarizes runs; {@code sparkseg bench} measures throughput. Option defaults
 * come from {@code sparkseg-defaults.properties} ({@link Defaults}). This is the main class of
 * the job jar, for spark-submit and bin/sparkseg alike.
 */
@Command(
    name = "sparkseg",
    mixinStandardHelpOptions = true,
    version = "sparkseg 0.1.0-SNAPSHOT",
    description = "Mask R-CNN instance segmentation over large image collections on Apache Spark.",
    subcommands = {SegmentCommand.class, EvaluateCommand.class, BenchCommand.class, ReportCommand.class, CommandLine.HelpCommand.class})
public final class SparksegCli implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }

  /**
   * Builds the command line with the config-file defaults. Its writers mask secrets ({@link RedactingWriter}), and
   * URIs with login details are refused before any command runs ({@link LoginCheck}).
   */
  public static CommandLine commandLine(Defaults defaults) {
    CommandLine cl = new CommandLine(new SparksegCli());
    cl.setDefaultValueProvider(defaults);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setOut(RedactingWriter.onto(System.out));
    cl.setErr(RedactingWriter.onto(System.err));
    cl.setExecutionStrategy(new LoginCheck(new CommandLine.RunLast()));
    return cl;
  }

  /** Runs a command and returns its exit code (see {@link ExitCodes}); does not exit the JVM. */
  public static int run(String... args) {
    return commandLine(Defaults.load()).execute(args);
  }

  /**
   * Runs a command and exits with its code. In a JVM that is not the command's own (a Databricks
   * JAR task runs main in the cluster's driver, where an exit is undefined behaviour for the
   * platform) it returns on success and throws on failure, which fails the task.
   */
  public static void main(String[] args) {
    int code = run(args);
    if (System.getenv(SHARED_DRIVER_ENV) == null) {
      System.exit(code);
    }
    if (code != ExitCodes.OK) {
      throw new CommandFailedException(code);
    }
  }

  /** Set in the driver of a Databricks cluster, where main runs in a JVM the platform keeps. */
  static final String SHARED_DRIVER_ENV = "DATABRICKS_RUNTIME_VERSION";

  /** A command that failed in a JVM that is not its own: the exit code it would have exited with. */
  public static final class CommandFailedException extends RuntimeException {
    private final int exitCode;

    CommandFailedException(int exitCode) {
      super("sparkseg failed with exit code " + exitCode + " (" + meaning(exitCode) + "; the cause is logged above)");
      this.exitCode = exitCode;
    }

    public int exitCode() {
      return exitCode;
    }

    private static String meaning(int code) {
      return switch (code) {
        case ExitCodes.USAGE -> "bad options, input or model, found before any task ran";
        case ExitCodes.TOO_MANY_FAILED -> "the output is written, but too many images failed";
        default -> "the job failed";
      };
    }
  }
}
