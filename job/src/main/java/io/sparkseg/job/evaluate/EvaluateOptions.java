package io.sparkseg.job.evaluate;

import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.mask.MaskBoundary;
import java.util.List;

/**
 * What to evaluate and where to write it.
 *
 * @param groundTruth COCO annotations JSON (any Hadoop FS URI)
 * @param detections a run's output (folder, or CATALOG.NAMESPACE for Iceberg), its instances table
 *     (Parquet or Delta folder, Iceberg table name), or a COCO results JSON
 * @param detectionsFormat {@code auto} (JSON when the path ends in {@code .json}, else the table
 *     format detected by {@link io.sparkseg.job.output.format.RunTableSource}), {@code parquet},
 *     {@code delta}, {@code iceberg} or {@code json}
 * @param runId the run to evaluate in an instances table ({@code null}: the only one); for JSON the
 *     run id of the outputs ({@code null}: the file name)
 * @param iouTypes the iouTypes, or empty for all that the data supports
 * @param dtArea how detection areas are derived (pycocotools' loadRes branch)
 * @param outputDir where the eval tables go ({@code null}: none)
 * @param summaryJson where the summary JSON goes ({@code null}: none)
 * @param partitions the number of image groups
 * @param segmScore which score ranks the masks in segm evaluation
 * @param errors whether to add the error analysis of bbox and segm ({@link DistributedErrorAnalysis};
 *     it repeats the per-image work)
 * @param engine where the evaluation runs ({@link Engine}; resolved by {@link #inProcess})
 * @param boundaryDilationRatio the boundary width of iouType boundary as a fraction of the image
 *     diagonal ({@link MaskBoundary#DEFAULT_DILATION_RATIO} by default)
 */
public record EvaluateOptions(
    String groundTruth,
    String detections,
    String detectionsFormat,
    String runId,
    List<IouType> iouTypes,
    LoadRes.AreaSource dtArea,
    String outputDir,
    String summaryJson,
    int partitions,
    SegmScore segmScore,
    boolean errors,
    Engine engine,
    double boundaryDilationRatio) {

  /** The options with the default boundary width. */
  public EvaluateOptions(String groundTruth, String detections, String detectionsFormat, String runId,
      List<IouType> iouTypes, LoadRes.AreaSource dtArea, String outputDir, String summaryJson, int partitions,
      SegmScore segmScore, boolean errors, Engine engine) {
    this(groundTruth, detections, detectionsFormat, runId, iouTypes, dtArea, outputDir, summaryJson, partitions,
        segmScore, errors, engine, MaskBoundary.DEFAULT_DILATION_RATIO);
  }

  /** The options with the error analysis (its default). */
  public EvaluateOptions(String groundTruth, String detections, String detectionsFormat, String runId,
      List<IouType> iouTypes, LoadRes.AreaSource dtArea, String outputDir, String summaryJson, int partitions,
      SegmScore segmScore) {
    this(groundTruth, detections, detectionsFormat, runId, iouTypes, dtArea, outputDir, summaryJson, partitions,
        segmScore, true);
  }

  /** The options on the default engine ({@link Engine#AUTO}). */
  public EvaluateOptions(String groundTruth, String detections, String detectionsFormat, String runId,
      List<IouType> iouTypes, LoadRes.AreaSource dtArea, String outputDir, String summaryJson, int partitions,
      SegmScore segmScore, boolean errors) {
    this(groundTruth, detections, detectionsFormat, runId, iouTypes, dtArea, outputDir, summaryJson, partitions,
        segmScore, errors, Engine.AUTO);
  }

  /**
   * Where {@code evaluate} runs. {@code SPARK}: Spark tasks (any size, any input). {@code LOCAL}:
   * this process's threads without Spark ({@link LocalEvaluation}; the same core steps and numbers),
   * for a COCO results JSON and ground truth on the local disk, without {@code --output} tables.
   * {@code AUTO}: {@code LOCAL} where it can run, the Spark master is local and both files fit the
   * heap with room to spare ({@link #LOCAL_HEAP_PER_FILE_BYTE}), else {@code SPARK}.
   */
  public enum Engine {
    AUTO, SPARK, LOCAL;

    /** Parses {@code auto}, {@code spark} or {@code local}. */
    public static Engine parse(String s) {
      for (Engine v : values()) {
        if (v.name().equalsIgnoreCase(s.trim())) {
          return v;
        }
      }
      throw new IllegalArgumentException("--engine must be auto, spark or local, got '" + s + "'");
    }
  }

  /**
   * Heap bytes the in-process engine may need per byte of the two JSON files (parsed records, the
   * masks decoded for segm, the per-image results): {@code AUTO} picks it only below this ratio.
   */
  public static final long LOCAL_HEAP_PER_FILE_BYTE = 8;

  /**
   * Whether the evaluation runs in this process ({@link Engine}): the one place that decides.
   *
   * @param master the Spark master the session would get
   * @param fileBytes the sizes of the ground truth and the results file together (-1: unknown)
   * @param maxHeap this JVM's maximum heap
   * @throws IllegalArgumentException when {@code --engine local} cannot run on these inputs
   */
  public boolean inProcess(String master, long fileBytes, long maxHeap) {
    String cannot = !jsonDetections() ? "the detections are a table, which Spark reads"
        : !isLocalFile(groundTruth) || !isLocalFile(detections) ? "the ground truth or the results file is not on the "
            + "local disk" : outputDir != null ? "--output writes tables, which Spark writes" : null;
    return switch (engine) {
      case SPARK -> false;
      case LOCAL -> {
        if (cannot != null) {
          throw new IllegalArgumentException("--engine local cannot run here: " + cannot + " (use --engine spark)");
        }
        yield true;
      }
      case AUTO -> cannot == null && master.startsWith("local") && fileBytes >= 0
          && fileBytes < maxHeap / LOCAL_HEAP_PER_FILE_BYTE;
    };
  }

  /** Whether {@code uri} names a file on this machine's disk (no scheme, or {@code file:}). */
  public static boolean isLocalFile(String uri) {
    String scheme = new org.apache.hadoop.fs.Path(uri).toUri().getScheme();
    return scheme == null || scheme.equals("file");
  }

  /**
   * The score that ranks masks in segm and boundary evaluation. A COCO results file has one score per
   * detection, so for JSON detections it is always {@code score} (pycocotools' rule); an instances
   * table also has {@code mask_score}, the class score times the mask's mean foreground
   * probability, which {@code AUTO} uses when the table has the column.
   */
  public enum SegmScore {
    AUTO, SCORE, MASK_SCORE;

    /** The column name ({@code score}, {@code mask_score}) or {@code auto}. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses {@code auto}, {@code score} or {@code mask_score}. */
    public static SegmScore parse(String s) {
      for (SegmScore v : values()) {
        if (v.label().equals(s.trim().toLowerCase(java.util.Locale.ROOT))) {
          return v;
        }
      }
      throw new IllegalArgumentException("--segm-score must be auto, score or mask_score, got '" + s + "'");
    }
  }

  /** The values of {@code --detections-format}. */
  public static final java.util.List<String> FORMATS = List.of("auto", "parquet", "delta", "iceberg", "json");

  public EvaluateOptions {
    segmScore = segmScore == null ? SegmScore.AUTO : segmScore;
    iouTypes = iouTypes == null ? List.of() : List.copyOf(iouTypes);
    detectionsFormat = detectionsFormat == null ? "auto" : detectionsFormat;
    dtArea = dtArea == null ? LoadRes.AreaSource.AUTO : dtArea;
    engine = engine == null ? Engine.AUTO : engine;
    checkBoundaryDilationRatio(boundaryDilationRatio, Double.toString(boundaryDilationRatio));
  }

  /** Parses {@code --boundary-dilation-ratio}: a number &gt; 0 (a fraction of the image diagonal). */
  public static double parseBoundaryDilationRatio(String s) {
    double r;
    try {
      r = Double.parseDouble(s.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--boundary-dilation-ratio must be a number > 0 (a fraction of the image "
          + "diagonal, e.g. " + MaskBoundary.DEFAULT_DILATION_RATIO + "), got '" + s + "', which is not a number");
    }
    checkBoundaryDilationRatio(r, s);
    return r;
  }

  private static void checkBoundaryDilationRatio(double r, String given) {
    if (!(r > 0) || Double.isInfinite(r)) {
      throw new IllegalArgumentException("--boundary-dilation-ratio must be a number > 0 (a fraction of the image "
          + "diagonal, e.g. " + MaskBoundary.DEFAULT_DILATION_RATIO + "), got '" + given.trim() + "'");
    }
  }

  /** Whether the detections are a COCO results JSON. */
  public boolean jsonDetections() {
    return switch (detectionsFormat) {
      case "json" -> true;
      case "parquet", "delta", "iceberg" -> false;
      case "auto" -> detections.toLowerCase(java.util.Locale.ROOT).endsWith(".json");
      default -> throw new IllegalArgumentException("--detections-format must be one of " + String.join(", ", FORMATS)
          + ", got '" + detectionsFormat + "'");
    };
  }
}
