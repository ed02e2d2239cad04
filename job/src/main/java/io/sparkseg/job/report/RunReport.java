package io.sparkseg.job.report;

import io.sparkseg.job.output.format.RunTableSource;
import io.sparkseg.job.output.format.TableFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * A self-contained HTML report of one segmentation run: summary figures, images by status and
 * the failures, class and score distributions, latency, a grid of sample images with their
 * masks, boxes and keypoints drawn in (PNG data: URIs), and, given the evaluate command's
 * output, COCO metrics, precision-recall curves (per category and area range too) and the error
 * analysis (TIDE error types, confusion matrix). Charts are inline SVG; the page loads
 * nothing from anywhere. The queries are in {@link ReportQueries}, the HTML in {@link ReportPage}.
 */
public final class RunReport {
  /** Failures listed; one more is queried to tell whether there are more. */
  private static final int FAILURES_SHOWN = 100;
  /** Instances drawn per sample image at most. */
  private static final int SHAPES_PER_SAMPLE = 40;

  private RunReport() {}

  /**
   * What to report on.
   *
   * @param output the segment job's output: a folder (Parquet, Delta) or CATALOG.NAMESPACE (Iceberg)
   * @param tableFormat auto (detected from the output, {@link RunTableSource}), parquet, delta or iceberg
   * @param runId the run
   * @param evalOutput the evaluate job's output folder, or null
   * @param samples how many sample images to draw
   * @param minScore instances drawn on the samples have at least this score
   * @param thumbWidth sample image width in pixels
   */
  public record Options(String output, String tableFormat, String runId, String evalOutput, int samples,
      double minScore, int thumbWidth) {
    public Options {
      if (output == null || runId == null) {
        throw new IllegalArgumentException("the report needs an output and a run id");
      }
      tableFormat = tableFormat == null ? RunTableSource.AUTO : tableFormat;
    }

    public Options(String output, String runId, String evalOutput, int samples, double minScore, int thumbWidth) {
      this(output, RunTableSource.AUTO, runId, evalOutput, samples, minScore, thumbWidth);
    }

    public Options(String output, String runId, String evalOutput) {
      this(output, runId, evalOutput, 12, 0.5, 360);
    }
  }

  /**
   * Writes the report to {@code target} (any Hadoop file system path; null: {@code
   * OUTPUT/_reports/RUN.html} of a folder output), replacing it; returns where it went.
   */
  public static String write(SparkSession spark, Options o, String target) throws IOException {
    RunTableSource tables = tables(spark, o);
    if (target == null) {
      if (tables.format() == TableFormat.ICEBERG) {
        throw new IllegalArgumentException("--report is required for an Iceberg output (" + tables.location()
            + " is not a folder to put it in)");
      }
      target = (o.output().endsWith("/") ? o.output() : o.output() + "/") + "_reports/" + o.runId() + ".html";
    }
    String html = html(spark, o, tables);
    Path p = new Path(target);
    FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
    try (OutputStream out = fs.create(p, true)) {
      out.write(html.getBytes(StandardCharsets.UTF_8));
    }
    return target;
  }

  /** The report as an HTML document. */
  public static String html(SparkSession spark, Options o) {
    return html(spark, o, tables(spark, o));
  }

  private static RunTableSource tables(SparkSession spark, Options o) {
    return RunTableSource.open(spark, o.output(), o.tableFormat(), "--output", "--table-format");
  }

  private static String html(SparkSession spark, Options o, RunTableSource tables) {
    ReportFiles files = new ReportFiles(spark.sparkContext().hadoopConfiguration());
    try (ReportQueries q = new ReportQueries(spark, tables, o.runId())) {
      ReportQueries.Totals totals = q.totals();
      if (totals.images() == 0) {
        throw new IllegalArgumentException("run " + o.runId() + " has no images in " + tables.location());
      }
      ReportPage page = new ReportPage("sparkseg run " + o.runId());
      String summaryName = "runs.summary";
      Map<String, String> summary = Map.of();
      Optional<String> file = tables.summaryFile(o.runId());
      if (file.isPresent()) {
        summary = files.runSummary(file.get());
        summaryName = file.get().substring(file.get().lastIndexOf("/_summary/") + 1);
      }
      if (summary.isEmpty()) {
        // Iceberg outputs (no folder) and runs whose summary file is gone: the runs table's copy
        summary = tables.storedSummary(o.runId()).map(ReportFiles::runSummaryJson).orElse(Map.of());
        summaryName = "runs.summary";
      }
      page.summary(tables.location(), q.models(), totals, q.classCount(), summaryName, summary, q.okLatencies());
      page.status(q.statusCounts(), q.failures(FAILURES_SHOWN + 1), FAILURES_SHOWN);
      List<ReportQueries.ClassStats> classes = q.classes(o.minScore());
      page.classes(classes, classes.isEmpty() ? null : q.scoreHistogram(), o.minScore());
      page.samples(samples(q, files, o), o.minScore());
      if (o.evalOutput() != null) {
        evaluation(q, page, o);
      }
      return page.finish();
    }
  }

  private static List<ReportPage.Sample> samples(ReportQueries q, ReportFiles files, Options o) {
    Set<Long> ids = q.sampleImages(o.minScore(), o.samples());
    List<ReportPage.Sample> out = new ArrayList<>();
    if (ids.isEmpty()) {
      return out;
    }
    Map<Long, String> paths = q.paths(ids);
    Map<Long, List<Overlay.Shape>> shapes = q.shapes(ids, o.minScore(), SHAPES_PER_SAMPLE);
    for (long id : ids) {
      out.add(files.sample(id, paths.get(id), shapes.getOrDefault(id, List.of()), o.thumbWidth()));
    }
    return out;
  }

  private static void evaluation(ReportQueries q, ReportPage page, Options o) {
    page.evaluationSection();
    String ev = o.evalOutput().endsWith("/") ? o.evalOutput() : o.evalOutput() + "/";
    try {
      q.openEvaluation(o.evalOutput());
    } catch (RuntimeException e) {
      page.evaluationUnreadable(ev, e.getMessage());
      return;
    }
    List<ReportQueries.Stat> stats = q.stats();
    page.evaluation(o.runId(), stats, stats.isEmpty() ? List.of() : q.perCategory(),
        stats.isEmpty() ? List.of() : q.prCurves(), stats.isEmpty() ? List.of() : q.areaPrCurves());
    if (!stats.isEmpty() && q.openErrors(o.evalOutput())) {
      page.errors(q.errorRows(), q.confusion());
    }
  }
}
