package io.sparkseg.core.model;

import java.io.Serializable;

/**
 * What a bundle's content hashes to: the model file's sha256 (recorded in model.json, and the file is checked
 * against it on every load) and model.json's own sha256, which also pins the categories, contracts and thresholds.
 * The driver validates a bundle and hands its digest to the executors, which run only a bundle with the same one.
 */
public record BundleDigest(String modelSha256, String descriptorSha256) implements Serializable {

  @Override
  public String toString() {
    return "model.pt sha256 " + modelSha256 + ", model.json sha256 " + descriptorSha256;
  }
}
