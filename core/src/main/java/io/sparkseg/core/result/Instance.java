package io.sparkseg.core.result;

import io.sparkseg.core.mask.Rle;
import java.util.Objects;

/**
 * One detected object: category, confidence, box, pixel mask (COCO RLE in image size), the
 * mask's own score and, for categories that have them, keypoints ({@code null} otherwise).
 *
 * <p>{@code maskScore} is {@code score} times the mean probability of the mask's foreground
 * pixels: the class score says whether the object is there, the second factor how sure the mask
 * head is of its pixels (Mask Scoring R-CNN's point, with SOLOv2's "maskness" standing in for a
 * learned mask-IoU head). Ranking masks by it rather than by {@code score} puts vague masks
 * after crisp ones of the same confidence; COCO segm evaluation ranks by it.
 */
public record Instance(int categoryId, String categoryName, float score, BoundingBox box, Rle mask,
    float maskScore, Keypoints keypoints) {

  public Instance {
    Objects.requireNonNull(categoryName, "categoryName");
    Objects.requireNonNull(box, "box");
    Objects.requireNonNull(mask, "mask");
  }

  public boolean hasKeypoints() {
    return keypoints != null;
  }
}
