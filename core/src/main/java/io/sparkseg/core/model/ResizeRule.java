package io.sparkseg.core.model;

/**
 * torchvision's GeneralizedRCNNTransform resize rule: scale so the shorter side reaches
 * {@code minSize} unless the longer side would pass {@code maxSize}. The scale is computed in
 * float32 and each side floored, exactly as torchvision does, so Java and Python feed the
 * network the same pixel grid.
 */
public record ResizeRule(int minSize, int maxSize) {

  public ResizeRule {
    if (minSize <= 0 || maxSize < minSize) {
      throw new IllegalArgumentException(
          "resize needs 0 < min_size <= max_size, got min_size=" + minSize + ", max_size=" + maxSize);
    }
  }

  /** The float32 scale factor torchvision applies to an image of this size. */
  public float scale(int width, int height) {
    float shorter = Math.min(width, height);
    float longer = Math.max(width, height);
    // torch evaluates `python_float / float32_tensor` as reciprocal-then-multiply in float32;
    // e.g. 320 / 100 gives 3.1999998, so a 100 px side becomes 319 px, not 320.
    return Math.min(minSize * (1f / shorter), maxSize * (1f / longer));
  }

  /** {@code [height, width]} after resizing. */
  public int[] resizedSize(int width, int height) {
    double s = scale(width, height);
    int h = (int) Math.floor(height * s);
    int w = (int) Math.floor(width * s);
    return new int[] {Math.max(h, 1), Math.max(w, 1)};
  }
}
