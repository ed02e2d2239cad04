package io.sparkseg.core.result;

import java.util.Arrays;

/**
 * The keypoints of one instance: for each of K keypoints an (x, y, score) triple in original
 * image pixel coordinates. For ground truth the third value is COCO visibility (0, 1, 2).
 */
public final class Keypoints {
  private final float[] xys;

  /** @param xys flat {@code [x0, y0, s0, x1, y1, s1, ...]}, length a multiple of 3 */
  public Keypoints(float[] xys) {
    if (xys.length % 3 != 0) {
      throw new IllegalArgumentException("keypoint array length " + xys.length + " is not a multiple of 3");
    }
    this.xys = xys.clone();
  }

  public int size() {
    return xys.length / 3;
  }

  public float x(int k) {
    return xys[3 * k];
  }

  public float y(int k) {
    return xys[3 * k + 1];
  }

  public float score(int k) {
    return xys[3 * k + 2];
  }

  /** A copy of the flat triples. */
  public float[] toArray() {
    return xys.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Keypoints k && Arrays.equals(xys, k.xys);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(xys);
  }

  @Override
  public String toString() {
    return "Keypoints" + Arrays.toString(xys);
  }
}
