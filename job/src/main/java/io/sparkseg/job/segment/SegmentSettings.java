package io.sparkseg.job.segment;

import java.io.Serializable;

/**
 * What an executor needs to segment images: the bundle URI, where to cache it locally, the device
 * setting, batch size, thresholds (null = the bundle's defaults) and the pixel limit.
 */
public record SegmentSettings(
    String bundleUri, String modelCacheDir, String device, int batchSize,
    Float scoreThreshold, Float maskThreshold, long maxImagePixels, HadoopConf hadoopConf)
    implements Serializable {

  public SegmentSettings {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
  }
}
