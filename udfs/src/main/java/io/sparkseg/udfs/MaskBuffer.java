package io.sparkseg.udfs;

import java.io.Serializable;

/** The aggregation buffer of {@link MaskMergeAggregator}: a mask's size and run lengths, if any yet. */
public class MaskBuffer implements Serializable {
  private static final long serialVersionUID = 1L;

  private boolean present;
  private int height;
  private int width;
  private int[] counts = new int[0];

  public MaskBuffer() {}

  public boolean isPresent() {
    return present;
  }

  public void setPresent(boolean present) {
    this.present = present;
  }

  public int getHeight() {
    return height;
  }

  public void setHeight(int height) {
    this.height = height;
  }

  public int getWidth() {
    return width;
  }

  public void setWidth(int width) {
    this.width = width;
  }

  public int[] getCounts() {
    return counts;
  }

  public void setCounts(int[] counts) {
    this.counts = counts;
  }
}
