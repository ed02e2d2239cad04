package io.sparkseg.job.cli;

import io.sparkseg.job.report.RunReport;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sparkseg report}: a self-contained HTML report of one run (summary, failures, classes,
 * scores, latency, sample images with masks/boxes/keypoints, and evaluation curves when the
 * evaluate command's output is given).
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Write a self-contained HTML report of a run (open it in any browser; it loads nothing).",
        "Exit codes: 0 ok, 1 failed, 2 bad options or input."})
public final class ReportCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--output", paramLabel = "DIR", required = true,
      description = "The segment job's output: a folder (Parquet, Delta) or CATALOG.NAMESPACE (Iceberg).")
  String output;

  @Option(names = "--table-format", paramLabel = "FMT", defaultValue = "auto",
      description = "auto (Delta if DIR/instances has _delta_log; Iceberg if DIR names a namespace of a configured "
          + "catalog; else Parquet), parquet, delta or iceberg. Default: ${DEFAULT-VALUE}.")
  String tableFormat;

  @Option(names = "--run-id", paramLabel = "ID", required = true, description = "The run to report on.")
  String runId;

  @Option(names = "--eval-output", paramLabel = "DIR",
      description = "The evaluate command's --output folder, to include COCO metrics and precision-recall curves.")
  String evalOutput;

  @Option(names = "--report", paramLabel = "FILE",
      description = "Where to write the HTML (any Hadoop file system). Default: <output>/_reports/<run-id>.html "
          + "(required for Iceberg).")
  String report;

  @Option(names = "--samples", paramLabel = "N", defaultValue = "12",
      description = "Sample images to draw. Default: ${DEFAULT-VALUE}.")
  int samples;

  @Option(names = "--min-score", paramLabel = "S", defaultValue = "0.5",
      description = "Draw instances with at least this score. Default: ${DEFAULT-VALUE}.")
  double minScore;

  @Option(names = "--thumb-width", paramLabel = "PX", defaultValue = "360",
      description = "Sample image width in pixels. Default: ${DEFAULT-VALUE}.")
  int thumbWidth;

  @picocli.CommandLine.Mixin
  SparkConfOption spark = new SparkConfOption();

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    if (samples < 0 || thumbWidth < 16 || !(minScore >= 0 && minScore <= 1)) {
      err.println("sparkseg report: --samples must be >= 0, --thumb-width >= 16 and --min-score in [0, 1]");
      err.flush();
      return ExitCodes.USAGE;
    }
    RunReport.Options o = new RunReport.Options(output, tableFormat, runId, evalOutput, samples, minScore, thumbWidth);
    try (SparkSessions.Handle h = SparkSessions.open("sparkseg report", spark.values(), false)) {
      String target = RunReport.write(h.spark(), o, report);
      spec.commandLine().getOut().println("report: " + target);
      spec.commandLine().getOut().flush();
      return ExitCodes.OK;
    } catch (IllegalArgumentException e) {
      err.println("sparkseg report: " + e.getMessage());
      err.flush();
      return ExitCodes.USAGE;
    } catch (Exception e) {
      err.println("sparkseg report: failed: " + e);
      e.printStackTrace(err);
      err.flush();
      return ExitCodes.FAILED;
    }
  }
}
