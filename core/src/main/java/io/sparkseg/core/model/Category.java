package io.sparkseg.core.model;

import java.util.List;

/**
 * One category the model predicts: its contiguous model label, COCO id and name, and for
 * keypoint categories the keypoint names, skeleton (1-based pairs) and OKS sigmas.
 */
public record Category(
    int label, int id, String name, String supercategory,
    List<String> keypointNames, List<int[]> skeleton, double[] sigmas) {

  public Category {
    keypointNames = keypointNames == null ? List.of() : List.copyOf(keypointNames);
    skeleton = skeleton == null ? List.of() : List.copyOf(skeleton);
    sigmas = sigmas == null ? new double[0] : sigmas.clone();
  }

  public boolean hasKeypoints() {
    return !keypointNames.isEmpty();
  }
}
