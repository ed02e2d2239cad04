package io.sparkseg.core.result;

import java.util.List;

/** Everything the model found in one image, in original image coordinates, highest score first. */
public record ImageResult(int width, int height, List<Instance> instances) {

  public ImageResult {
    instances = List.copyOf(instances);
  }
}
