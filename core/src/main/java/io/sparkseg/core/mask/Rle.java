package io.sparkseg.core.mask;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * A binary mask in COCO run-length encoding: alternating run lengths of 0s and 1s over the
 * pixels in column-major order (x outer, y inner), starting with a (possibly empty) run of 0s.
 * Immutable. The operations match pycocotools' {@code maskApi.c} bit for bit. One made by {@link
 * #ofCompressed} keeps its compressed string, about a quarter of the runs' size, until a run is
 * first needed: an evaluation's results hold a mask per detection, and only segm looks inside.
 */
public final class Rle implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int height;
  private final int width;
  /** The runs; null while only {@link #compressed} is set. */
  private volatile int[] counts;
  /** The compressed counts string until it is decoded (see {@link #ofCompressed}), then null. */
  private volatile String compressed;

  /**
   * @param counts run lengths, each &gt;= 0, summing to {@code height * width}
   * @throws IllegalArgumentException if the size is negative or the counts do not fit it
   */
  public Rle(int height, int width, int[] counts) {
    this(height, width, counts.clone(), true);
  }

  /** Takes ownership of {@code counts}; validates them. */
  Rle(int height, int width, int[] counts, boolean validate) {
    if (height < 0 || width < 0) {
      throw new IllegalArgumentException("RLE size must not be negative, got " + height + "x" + width);
    }
    if (validate) {
      long sum = 0;
      for (int i = 0; i < counts.length; i++) {
        if (counts[i] < 0) {
          throw new IllegalArgumentException("RLE run " + i + " has negative length " + counts[i]);
        }
        sum += counts[i];
      }
      if (sum != (long) height * width) {
        throw new IllegalArgumentException("RLE runs sum to " + sum + " pixels but the size "
            + height + "x" + width + " has " + (long) height * width);
      }
    }
    this.height = height;
    this.width = width;
    this.counts = counts;
  }

  /** Encodes a mask given as {@code height*width} bytes in column-major order (nonzero = 1). */
  public static Rle encode(int height, int width, byte[] columnMajor) {
    checkMaskSize(height, width, columnMajor.length);
    int n = columnMajor.length;
    int[] runs = new int[n + 1];
    int k = 0;
    int c = 0;
    boolean p = false;
    for (int j = 0; j < n; j++) {
      boolean v = columnMajor[j] != 0;
      if (v != p) {
        runs[k++] = c;
        c = 0;
        p = v;
      }
      c++;
    }
    runs[k++] = c;
    return new Rle(height, width, Arrays.copyOf(runs, k), false);
  }

  /** Encodes a mask given as {@code height*width} bytes in row-major order (nonzero = 1). */
  public static Rle encodeRowMajor(int height, int width, byte[] rowMajor) {
    checkMaskSize(height, width, rowMajor.length);
    byte[] col = new byte[rowMajor.length];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        col[x * height + y] = rowMajor[y * width + x];
      }
    }
    return encode(height, width, col);
  }

  private static void checkMaskSize(int height, int width, int length) {
    if (height < 0 || width < 0 || (long) height * width != length) {
      throw new IllegalArgumentException(
          "mask has " + length + " pixels, which does not match the size " + height + "x" + width);
    }
  }

  /**
   * Parses a COCO compressed counts string (the {@code counts} of {@code {"size":[h,w],
   * "counts":"..."}}).
   *
   * @throws IllegalArgumentException if the string is malformed or does not fit the size
   */
  public static Rle fromCompressedString(int height, int width, String s) {
    return new Rle(height, width, CompressedCounts.decode(s), true);
  }

  /**
   * As {@link #fromCompressedString}, but the string is decoded and checked when a run is first
   * needed; a malformed string then fails that use with the same {@link IllegalArgumentException}.
   */
  public static Rle ofCompressed(int height, int width, String s) {
    if (s == null) {
      throw new IllegalArgumentException("RLE counts string is null");
    }
    Rle r = new Rle(height, width, null, false);
    r.compressed = s;
    return r;
  }

  /** The runs, decoding the compressed string first if that has not been done. */
  private int[] runs() {
    int[] c = counts;
    return c != null ? c : decodeCompressed();
  }

  private synchronized int[] decodeCompressed() {
    int[] c = counts;
    if (c == null) {
      c = new Rle(height, width, CompressedCounts.decode(compressed), true).counts;
      counts = c;
      compressed = null;
    }
    return c;
  }

  /** Builds an RLE from uncompressed COCO counts ({@code "counts":[...]}); validates them. */
  public static Rle fromUncompressed(int height, int width, long[] counts) {
    int[] c = new int[counts.length];
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] < 0 || counts[i] > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("RLE run " + i + " has invalid length " + counts[i]);
      }
      c[i] = (int) counts[i];
    }
    return new Rle(height, width, c, true);
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  /** A copy of the run lengths. */
  public int[] counts() {
    return runs().clone();
  }

  /** The number of runs. */
  public int runCount() {
    return runs().length;
  }

  /** Run {@code i} (no copy). */
  public int run(int i) {
    return runs()[i];
  }

  /** The COCO compressed counts string ({@code mask.encode(...)['counts']}). */
  public String toCompressedString() {
    return CompressedCounts.encode(runs());
  }

  /** The mask as {@code height*width} bytes (0/1) in column-major order. */
  public byte[] decode() {
    byte[] out = new byte[height * width];
    int p = 0;
    byte v = 0;
    for (int c : runs()) {
      if (v != 0) {
        Arrays.fill(out, p, p + c, (byte) 1);
      }
      p += c;
      v = (byte) (1 - v);
    }
    return out;
  }

  /** The mask as {@code height*width} bytes (0/1) in row-major order. */
  public byte[] decodeRowMajor() {
    byte[] col = decode();
    byte[] row = new byte[col.length];
    for (int x = 0; x < width; x++) {
      for (int y = 0; y < height; y++) {
        row[y * width + x] = col[x * height + y];
      }
    }
    return row;
  }

  /** The number of 1 pixels ({@code mask.area}). */
  public long area() {
    long a = 0;
    int[] counts = runs();
    for (int i = 1; i < counts.length; i += 2) {
      a += counts[i];
    }
    return a;
  }

  /**
   * The bounding box {@code [x, y, w, h]} of the 1 pixels ({@code mask.toBbox}); {@code [0,0,0,0]}
   * for an empty mask.
   */
  public double[] toBbox() {
    int[] counts = runs();
    int m = (counts.length / 2) * 2;
    if (m == 0 || height == 0) {
      return new double[4];
    }
    // unsigned 32-bit arithmetic as in maskApi.c rleToBbox
    long h = height;
    long xs = width;
    long ys = height;
    long xe = 0;
    long ye = 0;
    long cc = 0;
    long xp = 0;
    for (int j = 0; j < m; j++) {
      cc = (cc + counts[j]) & 0xFFFFFFFFL;
      long t = (cc - (j % 2)) & 0xFFFFFFFFL;
      long x = t / h; // one division per run: this runs for every mask of every evaluation
      long y = t - x * h;
      if (j % 2 == 0) {
        xp = x;
      } else if (xp < x) {
        ys = 0;
        ye = h - 1;
      }
      xs = Math.min(xs, x);
      xe = Math.max(xe, x);
      ys = Math.min(ys, y);
      ye = Math.max(ye, y);
    }
    return new double[] {xs, ys, (xe - xs + 1) & 0xFFFFFFFFL, (ye - ys + 1) & 0xFFFFFFFFL};
  }

  /** The union of masks of one size ({@code mask.merge(rles)}); empty 0x0 mask for none. */
  public static Rle union(List<Rle> rles) {
    return RleMerge.merge(rles, false);
  }

  /** The intersection of masks of one size ({@code mask.merge(rles, intersect=True)}). */
  public static Rle intersection(List<Rle> rles) {
    return RleMerge.merge(rles, true);
  }

  /** An all-zero mask. */
  public static Rle empty(int height, int width) {
    return new Rle(height, width, new int[] {height * width}, false);
  }

  int[] countsNoCopy() {
    return runs();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Rle r && r.height == height && r.width == width && Arrays.equals(r.runs(), runs());
  }

  @Override
  public int hashCode() {
    return 31 * (31 * height + width) + Arrays.hashCode(runs());
  }

  @Override
  public String toString() {
    return "Rle[" + height + "x" + width + ", " + toCompressedString() + "]";
  }
}
