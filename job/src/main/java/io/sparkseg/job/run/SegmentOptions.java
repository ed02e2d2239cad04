package io.sparkseg.job.run;

import io.sparkseg.core.model.FlipTest;
import io.sparkseg.job.executor.Device;
import io.sparkseg.job.executor.PipelineSettings;
import io.sparkseg.job.input.InputSpec;

/**
 * Everything one segment run needs, already validated by the CLI. {@code modelUri} is a fully
 * qualified bundle URI; thresholds may be null (use the bundle's defaults); {@code partitions}
 * 0 means automatic; {@code flipTest} says whether the mask and keypoint heads also run on the mirrored
 * image ({@link FlipTest#AUTO}: as the bundle does by default); {@code pipeline} says how executors batch and prefetch; optional outputs ({@code summaryJson}, {@code registerTables},
 * {@code cocoResults}) may be null.
 */
public record SegmentOptions(
    InputSpec input, String output, String modelUri, String runId, PipelineSettings pipeline,
    Float scoreThreshold, Float maskThreshold, int partitions, long maxImagePixels,
    double maxFailedFraction, String summaryJson, String registerTables, String cocoResults,
    Device device, FlipTest flipTest, String modelCacheDir, double progressIntervalSeconds) {

  /** Images per forward pass at most. */
  public int batchSize() {
    return pipeline.maxBatch();
  }
}
