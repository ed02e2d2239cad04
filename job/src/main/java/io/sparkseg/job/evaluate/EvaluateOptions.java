package io.sparkseg.job.evaluate;

import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import java.util.List;

/**
 * What to evaluate and where to write it.
 *
 * @param groundTruth COCO annotations JSON (any Hadoop FS URI)
 * @param detections an {@code instances} Parquet table, or a COCO results JSON
 * @param detectionsFormat {@code auto} (JSON when the path ends in {@code .json}), {@code parquet}
 *     or {@code json}
 * @param runId the run to evaluate in an instances table ({@code null}: the only one); for JSON the
 *     run id of the outputs ({@code null}: the file name)
 * @param iouTypes the iouTypes, or empty for all that the data supports
 * @param dtArea how detection areas are derived (pycocotools' loadRes branch)
 * @param outputDir where the eval tables go ({@code null}: none)
 * @param summaryJson where the summary JSON goes ({@code null}: none)
 * @param partitions the number of image groups
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
    int partitions) {

  public EvaluateOptions {
    iouTypes = iouTypes == null ? List.of() : List.copyOf(iouTypes);
    detectionsFormat = detectionsFormat == null ? "auto" : detectionsFormat;
    dtArea = dtArea == null ? LoadRes.AreaSource.AUTO : dtArea;
  }

  /** Whether the detections are a COCO results JSON. */
  public boolean jsonDetections() {
    return switch (detectionsFormat) {
      case "json" -> true;
      case "parquet" -> false;
      case "auto" -> detections.toLowerCase(java.util.Locale.ROOT).endsWith(".json");
      default -> throw new IllegalArgumentException("detections format must be auto, parquet or json, got " + detectionsFormat);
    };
  }
}
