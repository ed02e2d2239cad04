package io.sparkseg.job.segment;

import java.io.Serializable;

/**
 * What an executor needs to segment images: the bundle URI, where to cache it locally, the device
 * setting, the pipeline (batching, prefetch, threads), thresholds (null = the bundle's defaults)
 * and the pixel limit.
 */
public record SegmentSettings(
    String bundleUri, String modelCacheDir, String device, PipelineSettings pipeline,
    Float scoreThreshold, Float maskThreshold, long maxImagePixels, HadoopConf hadoopConf)
    implements Serializable {}
