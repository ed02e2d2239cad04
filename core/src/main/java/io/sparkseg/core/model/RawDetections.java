package io.sparkseg.core.model;

/**
 * The model's outputs for one batch as plain Java arrays (flat over the batch, in the model's
 * resized-input coordinates), plus each image's original and resized size. Holds no native
 * memory, so the forward pass can hand it to other threads for post-processing.
 */
public record RawDetections(
    float[] boxes,
    float[] scores,
    long[] labels,
    float[] maskProbs,
    float[] keypoints,
    float[] keypointScores,
    long[] imageIndex,
    int[] originalWidths,
    int[] originalHeights,
    int[] resizedWidths,
    int[] resizedHeights) {

  /** Number of detections over the whole batch. */
  public int count() {
    return scores.length;
  }

  /** Number of images in the batch. */
  public int images() {
    return originalWidths.length;
  }
}
