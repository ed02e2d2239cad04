package io.sparkseg.job.cli;

import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.mask.MaskBoundary;
import io.sparkseg.job.evaluate.EvaluateJob;
import io.sparkseg.job.evaluate.LocalEvaluation;
import io.sparkseg.job.evaluate.EvaluateOptions;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sparkseg evaluate}: COCO evaluation (pycocotools semantics) of a run's detections against
 * a COCO annotations file, distributed on Spark. Prints pycocotools' summary per iouType and
 * optionally writes a summary JSON and Parquet tables (summary, per-category AP/AR, PR curves).
 */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Evaluate detections against COCO ground truth (bbox, segm, keypoints; pycocotools' numbers; boundary:",
        "Boundary IoU's COCO evaluation, on request).",
        "Detections: a run's output (folder, or CATALOG.NAMESPACE for Iceberg), its instances table (Parquet or Delta",
        "folder, Iceberg table name), or a COCO results JSON. Only the run's committed rows are read.",
        "Exit codes: 0 ok, 1 failed, 2 bad options or input."})
public final class EvaluateCommand implements Callable<Integer> {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = {"--ground-truth", "--gt"}, paramLabel = "GT.json",
      description = "COCO annotations JSON (file://, hdfs://, s3a://, ...).")
  String groundTruth;

  @Option(names = "--detections", paramLabel = "PATH",
      description = "A run's output folder or instances table (Parquet, Delta), an Iceberg CATALOG.NAMESPACE or "
          + "CATALOG.NAMESPACE.instances, or a COCO results JSON.")
  String detections;

  @Option(names = "--detections-format", paramLabel = "FMT", defaultValue = "auto",
      description = "auto (JSON if the path ends in .json; Delta if the folder or its instances/ has _delta_log; Iceberg "
          + "if it names a table of a configured catalog; else Parquet), parquet, delta, iceberg or json. "
          + "Default: ${DEFAULT-VALUE}.")
  String detectionsFormat;

  @Option(names = "--run-id", paramLabel = "ID",
      description = "The run to evaluate when the table holds several (for JSON: the run id of the outputs).")
  String runId;

  @Option(names = "--iou-types", paramLabel = "TYPES", split = ",",
      description = "bbox,segm,keypoints,boundary (default: bbox, segm and keypoints as far as the data supports them; "
          + "boundary, Boundary IoU's evaluation of masks and their contours, only when named).")
  List<String> iouTypes = new ArrayList<>();

  @Option(names = "--dt-area", paramLabel = "SRC", defaultValue = "auto",
      description = "Detection area for the area ranges: auto (pycocotools' loadRes rule: the box when "
          + "detections have one), bbox, segm (mask pixels, detectron2's mask-AP convention) or keypoints. "
          + "Default: ${DEFAULT-VALUE}.")
  String dtArea;

  @Option(names = "--boundary-dilation-ratio", paramLabel = "R",
      defaultValue = "" + MaskBoundary.DEFAULT_DILATION_RATIO,
      description = "Width of the boundary region in --iou-types boundary, as a fraction of the image diagonal "
          + "(at least 1 pixel). Default: ${DEFAULT-VALUE}.")
  String boundaryDilationRatio;

  @Option(names = "--segm-score", paramLabel = "SCORE", defaultValue = "auto",
      description = "What ranks the masks in segm and boundary evaluation: auto (an instances table's mask_score, "
          + "the class score times the mask's mean foreground probability, when it has one; otherwise score), score, or "
          + "mask_score. A COCO results JSON has only score. Default: ${DEFAULT-VALUE}.")
  String segmScore;

  @Option(names = "--output", paramLabel = "DIR",
      description = "Write eval_summary, eval_per_category, eval_pr_curves, eval_errors and eval_confusion "
          + "Parquet tables (by run_id) here.")
  String output;

  @Option(names = "--summary-json", paramLabel = "FILE", description = "Write the summary JSON here.")
  String summaryJson;

  @Option(names = "--errors", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Add the error analysis of bbox and segm (TIDE's error types at IoU 0.5: the AP50 gained by "
          + "fixing each, overall and per category, and a confusion matrix) to the printout, the summary JSON, the "
          + "eval_errors and eval_confusion tables and so the report; --no-errors skips it (it repeats the "
          + "per-image work). Default: on.")
  boolean errors;

  @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "auto",
      description = "Where to evaluate: spark (Spark tasks: any size, tables, --output), local (this process on every "
          + "core, no Spark: a COCO results JSON and ground truth on the local disk, no --output), or auto (local where "
          + "it can run, the Spark master is local and both files fit the heap; else spark). The numbers are the same. "
          + "Default: ${DEFAULT-VALUE}.")
  String engine;

  @Option(names = "--partitions", paramLabel = "N", defaultValue = "0",
      description = "Image groups for the per-image evaluation (0: Spark's default parallelism).")
  int partitions;

  @picocli.CommandLine.Mixin
  SparkConfOption spark = new SparkConfOption();

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    EvaluateOptions o;
    try {
      o = options();
    } catch (IllegalArgumentException e) {
      err.println("sparkseg evaluate: " + e.getMessage());
      err.println("Run 'sparkseg evaluate --help' for the options.");
      err.flush();
      return USAGE;
    }
    String missing = missingLocalInput(o);
    if (missing != null) {
      err.println("sparkseg evaluate: " + missing);
      err.flush();
      return USAGE;
    }
    PrintStream out = new PrintStream(System.out, true, java.nio.charset.StandardCharsets.UTF_8);
    try {
      if (o.inProcess(spark.master(), fileBytes(o), Runtime.getRuntime().maxMemory())) {
        LocalEvaluation.run(o, out);
      } else {
        try (SparkSessions.Handle h = SparkSessions.open("sparkseg evaluate", spark.values(), false)) {
          EvaluateJob.run(h.spark(), o, out);
        }
      }
      return OK;
    } catch (IllegalArgumentException e) {
      err.println("sparkseg evaluate: " + e.getMessage());
      err.flush();
      return USAGE;
    } catch (java.io.FileNotFoundException e) {
      // an input on a remote file system that is not there (local ones are checked before Spark starts)
      err.println("sparkseg evaluate: input not found: " + e.getMessage());
      err.flush();
      return USAGE;
    } catch (Exception e) {
      err.println("sparkseg evaluate: failed: " + e);
      e.printStackTrace(err);
      err.flush();
      return FAILED;
    }
  }

  /**
   * What is wrong with an input on the local disk that is not there or not a file (the ground truth,
   * a results JSON, a table's folder), or null: found before Spark starts. An Iceberg table name
   * and remote paths are left to the evaluation.
   */
  static String missingLocalInput(EvaluateOptions o) {
    if (EvaluateOptions.isLocalFile(o.groundTruth())) {
      java.nio.file.Path gt = localPath(o.groundTruth());
      if (!java.nio.file.Files.isRegularFile(gt)) {
        return "--ground-truth " + o.groundTruth() + ": " + (java.nio.file.Files.isDirectory(gt)
            ? "is a folder, not a COCO annotations JSON file" : "no such file");
      }
    }
    String d = o.detections();
    if (EvaluateOptions.isLocalFile(d) && (d.endsWith(".json") || d.contains("/"))
        && !java.nio.file.Files.exists(localPath(d))) {
      return "--detections " + d + ": no such file or folder";
    }
    return null;
  }

  private static java.nio.file.Path localPath(String uri) {
    return java.nio.file.Path.of(new org.apache.hadoop.fs.Path(uri).toUri().getPath());
  }

  /** The two input files' sizes together, -1 where either is not a local file or cannot be read. */
  static long fileBytes(EvaluateOptions o) {
    long total = 0;
    for (String f : List.of(o.groundTruth(), o.detections())) {
      try {
        if (!EvaluateOptions.isLocalFile(f)) {
          return -1;
        }
        total += java.nio.file.Files.size(localPath(f));
      } catch (java.io.IOException | RuntimeException e) {
        return -1; // unreadable: no size to compare (a missing input was reported before this)
      }
    }
    return total;
  }

  EvaluateOptions options() {
    List<String> problems = new ArrayList<>();
    if (groundTruth == null || groundTruth.isBlank()) {
      problems.add("--ground-truth is required");
    }
    if (detections == null || detections.isBlank()) {
      problems.add("--detections is required");
    }
    List<IouType> types = new ArrayList<>();
    for (String t : iouTypes) {
      if (t.isBlank()) {
        continue;
      }
      try {
        IouType it = IouType.parse(t);
        if (!types.contains(it)) {
          types.add(it);
        }
      } catch (IllegalArgumentException e) {
        problems.add("--iou-types: " + e.getMessage());
      }
    }
    LoadRes.AreaSource area = null;
    try {
      area = LoadRes.AreaSource.valueOf(dtArea.trim().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      problems.add("--dt-area must be auto, bbox, segm or keypoints, got '" + dtArea + "'");
    }
    if (!EvaluateOptions.FORMATS.contains(detectionsFormat)) {
      problems.add("--detections-format must be one of " + String.join(", ", EvaluateOptions.FORMATS) + ", got '"
          + detectionsFormat + "'");
    }
    if (partitions < 0) {
      problems.add("--partitions must not be negative");
    }
    EvaluateOptions.SegmScore rankMasksBy = null;
    try {
      rankMasksBy = EvaluateOptions.SegmScore.parse(segmScore);
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    EvaluateOptions.Engine where = null;
    try {
      where = EvaluateOptions.Engine.parse(engine);
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    double ratio = MaskBoundary.DEFAULT_DILATION_RATIO;
    try {
      ratio = EvaluateOptions.parseBoundaryDilationRatio(boundaryDilationRatio);
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    return new EvaluateOptions(groundTruth, detections, detectionsFormat, runId, types, area, output, summaryJson,
        partitions, rankMasksBy, errors, where, ratio);
  }
}
