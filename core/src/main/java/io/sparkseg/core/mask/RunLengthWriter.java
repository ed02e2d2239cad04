package io.sparkseg.core.mask;

import java.util.Arrays;

/**
 * Builds COCO RLE counts from pixels (or runs of equal pixels) appended in column-major order,
 * merging adjacent runs of the same value. Lets producers encode a mask without ever holding it.
 */
public final class RunLengthWriter {
  private final int height;
  private final int width;
  private int[] counts = new int[16];
  private int size = 1; // counts[0] is the leading run of zeros, possibly empty
  private boolean current = false;
  private long written = 0;

  public RunLengthWriter(int height, int width) {
    this.height = height;
    this.width = width;
  }

  /** Appends {@code n} pixels of {@code value}. */
  public void append(boolean value, long n) {
    if (n <= 0) {
      return;
    }
    if (value != current) {
      if (size == counts.length) {
        counts = Arrays.copyOf(counts, size * 2);
      }
      size++;
      current = value;
    }
    counts[size - 1] += (int) n;
    written += n;
  }

  /** The finished RLE; fails if the appended pixels do not cover the image exactly. */
  public Rle finish() {
    long expected = (long) height * width;
    if (written != expected) {
      throw new IllegalStateException("RLE covers " + written + " pixels, image has " + expected);
    }
    return new Rle(height, width, Arrays.copyOf(counts, size));
  }
}
