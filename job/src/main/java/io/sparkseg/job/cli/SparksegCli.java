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

  public static void main(String[] args) {
    System.exit(run(args));
  }
}
