package io.sparkseg.core.coco;

import java.util.List;

/**
 * An entry of a COCO annotation file's {@code categories}: id, name, supercategory and, for
 * keypoint categories, the keypoint names and the skeleton (1-based index pairs). {@code
 * keypointSigmas} are the per-keypoint OKS sigmas when the file declares them ({@code "sigmas"}),
 * else {@code null}.
 */
public record CocoCategory(
    int id, String name, String supercategory, List<String> keypoints, List<int[]> skeleton, double[] keypointSigmas) {

  public CocoCategory {
    keypoints = keypoints == null ? List.of() : List.copyOf(keypoints);
    skeleton = skeleton == null ? List.of() : List.copyOf(skeleton);
  }

  public CocoCategory(int id, String name, String supercategory) {
    this(id, name, supercategory, List.of(), List.of(), null);
  }

  /** Whether the category declares keypoints (only those are evaluated with iouType keypoints). */
  public boolean hasKeypoints() {
    return !keypoints.isEmpty();
  }
}
