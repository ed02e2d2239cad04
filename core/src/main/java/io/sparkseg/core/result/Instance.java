package io.sparkseg.core.result;

import io.sparkseg.core.mask.Rle;
import java.util.Objects;

/**
 * One detected object: category, confidence, box, pixel mask (COCO RLE in image size) and,
 * for categories that have them, keypoints ({@code null} otherwise).
 */
public record Instance(
    int categoryId, String categoryName, float score, BoundingBox box, Rle mask, Keypoints keypoints) {

  public Instance {
    Objects.requireNonNull(categoryName, "categoryName");
    Objects.requireNonNull(box, "box");
    Objects.requireNonNull(mask, "mask");
  }

  public boolean hasKeypoints() {
    return keypoints != null;
  }
}
