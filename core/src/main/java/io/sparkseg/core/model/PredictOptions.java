package io.sparkseg.core.model;

/**
 * Per-call knobs of the predictor: the minimum score of a kept instance and the probability
 * above which a mask pixel is foreground. Defaults come from the bundle's model.json.
 */
public record PredictOptions(float scoreThreshold, float maskThreshold) {

  public PredictOptions {
    if (!(scoreThreshold >= 0f && scoreThreshold <= 1f)) {
      throw new IllegalArgumentException("score threshold must be in [0, 1], got " + scoreThreshold);
    }
    if (!(maskThreshold >= 0f && maskThreshold <= 1f)) {
      throw new IllegalArgumentException("mask threshold must be in [0, 1], got " + maskThreshold);
    }
  }
}
