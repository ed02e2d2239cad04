package io.sparkseg.core.model;

/**
 * How a bundle's model wants its images resized ({@code input.resize}): the shorter side to {@code minSize}
 * unless the longer side would pass {@code maxSize}, by one of two rules.
 *
 * <ul>
 *   <li>{@link Kind#TORCHVISION}: torchvision's GeneralizedRCNNTransform. The scale is computed in float32 and each
 *       side floored, exactly as torchvision does; the image is resized in float (bilinear, no antialiasing).
 *   <li>{@link Kind#DETECTRON2}: Detectron2's ResizeShortestEdge as its DefaultPredictor applies it. The sides are
 *       computed in double and rounded half up; the 8-bit image is resized by PIL's bilinear filter (antialiased
 *       when shrinking) before it becomes float.
 * </ul>
 */
public record ResizeRule(int minSize, int maxSize, Kind kind) {

  /** A resize rule as model.json names it. */
  public enum Kind {
    TORCHVISION, DETECTRON2;

    /** The name in model.json. */
    public String contractName() {
      return ContractNames.of(this);
    }

    /** The rule model.json names, or an exception listing the known ones. */
    public static Kind of(String name) {
      return ContractNames.parse(Kind.class, name, "resize rule");
    }
  }

  public ResizeRule {
    if (minSize <= 0 || maxSize < minSize) {
      throw new IllegalArgumentException(
          "resize needs 0 < min_size <= max_size, got min_size=" + minSize + ", max_size=" + maxSize);
    }
    if (kind == null) {
      throw new IllegalArgumentException("resize needs a rule");
    }
  }

  /** torchvision's rule. */
  public ResizeRule(int minSize, int maxSize) {
    this(minSize, maxSize, Kind.TORCHVISION);
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
    if (kind == Kind.DETECTRON2) {
      return shortestEdge(width, height);
    }
    double s = scale(width, height);
    int h = (int) Math.floor(height * s);
    int w = (int) Math.floor(width * s);
    return new int[] {Math.max(h, 1), Math.max(w, 1)};
  }

  /** Detectron2's ResizeShortestEdge.get_output_shape, in its (double) arithmetic. */
  private int[] shortestEdge(int width, int height) {
    double size = minSize;
    double scale = size / Math.min(height, width);
    double h;
    double w;
    if (height < width) {
      h = size;
      w = scale * width;
    } else {
      h = scale * height;
      w = size;
    }
    if (Math.max(h, w) > maxSize) {
      double s = maxSize / Math.max(h, w);
      h = h * s;
      w = w * s;
    }
    return new int[] {Math.max((int) (h + 0.5), 1), Math.max((int) (w + 0.5), 1)};
  }
}
