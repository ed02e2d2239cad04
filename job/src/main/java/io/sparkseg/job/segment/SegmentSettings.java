package io.sparkseg.job.segment;

import io.sparkseg.core.model.FlipTest;
import java.io.Serializable;

/**
 * What an executor needs to segment images: the bundle URI, where to cache it locally, the device
 * and flip test-time augmentation settings, the pipeline (batching, prefetch, threads), thresholds (null = the bundle's defaults)
 * and the pixel limit.
 */
public record SegmentSettings(
    String bundleUri, String modelCacheDir, String device, FlipTest flipTest, PipelineSettings pipeline,
    Float scoreThreshold, Float maskThreshold, long maxImagePixels, HadoopConf hadoopConf)
    implements Serializable {}
