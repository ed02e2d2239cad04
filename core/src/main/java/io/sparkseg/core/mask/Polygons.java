package io.sparkseg.core.mask;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rasterises COCO polygons ({@code [x1,y1,x2,y2,...]} in pixel coordinates) into RLE masks
 * exactly as pycocotools' {@code rleFrPoly} does: vertices are upsampled by 5 and rounded, the
 * boundary is traced densely, and a pixel is inside when its centre lies below a boundary
 * crossing of its column. Coordinates outside the image are clipped.
 */
public final class Polygons {
  private static final double SCALE = 5;

  private Polygons() {}

  /**
   * One polygon to an RLE of size {@code h x w} ({@code rleFrPoly}). Uses the first {@code
   * xy.length / 2} points.
   *
   * @throws IllegalArgumentException if the polygon has no point
   */
  public static Rle toRle(double[] xy, int h, int w) {
    int k = xy.length / 2;
    if (k == 0) {
      throw new IllegalArgumentException("polygon has no points");
    }
    if (h < 0 || w < 0) {
      throw new IllegalArgumentException("image size must not be negative, got " + h + "x" + w);
    }
    int[] x = new int[k + 1];
    int[] y = new int[k + 1];
    for (int j = 0; j < k; j++) {
      x[j] = (int) (SCALE * xy[j * 2] + .5);
    }
    x[k] = x[0];
    for (int j = 0; j < k; j++) {
      y[j] = (int) (SCALE * xy[j * 2 + 1] + .5);
    }
    y[k] = y[0];
    long total = 0;
    for (int j = 0; j < k; j++) {
      total += Math.max(Math.abs((long) x[j] - x[j + 1]), Math.abs((long) y[j] - y[j + 1])) + 1;
    }
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("polygon is too large to rasterise (" + total + " boundary points)");
    }
    int[] u = new int[(int) total];
    int[] v = new int[(int) total];
    int m = 0;
    for (int j = 0; j < k; j++) {
      int xs = x[j];
      int xe = x[j + 1];
      int ys = y[j];
      int ye = y[j + 1];
      int dx = Math.abs(xe - xs);
      int dy = Math.abs(ys - ye);
      boolean flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
      if (flip) {
        int t = xs;
        xs = xe;
        xe = t;
        t = ys;
        ys = ye;
        ye = t;
      }
      double s = dx >= dy ? (double) (ye - ys) / dx : (double) (xe - xs) / dy;
      if (dx >= dy) {
        for (int d = 0; d <= dx; d++) {
          int t = flip ? dx - d : d;
          u[m] = t + xs;
          v[m] = (int) (ys + s * t + .5);
          m++;
        }
      } else {
        for (int d = 0; d <= dy; d++) {
          int t = flip ? dy - d : d;
          v[m] = t + ys;
          u[m] = (int) (xs + s * t + .5);
          m++;
        }
      }
    }
    // points along the y-boundary, downsampled
    int n = m;
    long[] a = new long[n + 1];
    int na = 0;
    for (int j = 1; j < n; j++) {
      if (u[j] != u[j - 1]) {
        double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
        xd = (xd + .5) / SCALE - .5;
        if (Math.floor(xd) != xd || xd < 0 || xd > w - 1) {
          continue;
        }
        double yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
        yd = (yd + .5) / SCALE - .5;
        if (yd < 0) {
          yd = 0;
        } else if (yd > h) {
          yd = h;
        }
        yd = Math.ceil(yd);
        a[na++] = (long) (int) xd * h + (int) yd;
      }
    }
    a[na++] = (long) h * w;
    Arrays.sort(a, 0, na);
    long p = 0;
    for (int j = 0; j < na; j++) {
      long t = a[j];
      a[j] -= p;
      p = t;
    }
    int[] b = new int[na];
    int j = 0;
    int bm = 0;
    b[bm++] = (int) a[j++];
    while (j < na) {
      if (a[j] > 0) {
        b[bm++] = (int) a[j++];
      } else {
        j++;
        if (j < na) {
          b[bm - 1] += (int) a[j++];
        }
      }
    }
    return new Rle(h, w, Arrays.copyOf(b, bm), false);
  }

  /**
   * The parts of a COCO polygon segmentation, one RLE per polygon ({@code
   * mask.frPyObjects(polygons, h, w)}).
   *
   * @throws IllegalArgumentException if the list is empty, the first polygon has at most 4
   *     numbers (pycocotools takes a first entry of exactly 4 numbers for a box and then fails),
   *     or another polygon has no point
   */
  public static List<Rle> toRles(List<double[]> polygons, int h, int w) {
    if (polygons.isEmpty()) {
      throw new IllegalArgumentException("polygon segmentation is an empty list");
    }
    List<Rle> out = new ArrayList<>(polygons.size());
    for (int i = 0; i < polygons.size(); i++) {
      double[] poly = polygons.get(i);
      if (i == 0 ? poly.length <= 4 : poly.length < 2) {
        throw new IllegalArgumentException("polygon " + i + " has only " + poly.length
            + " numbers; a polygon needs at least 3 points [x1,y1,x2,y2,x3,y3,...]");
      }
      out.add(toRle(poly, h, w));
    }
    return out;
  }

  /**
   * A multi-part polygon segmentation as one mask: the union of its parts ({@code
   * merge(frPyObjects(polygons, h, w))}, which is what {@code COCO.annToRLE} produces).
   */
  public static Rle toMergedRle(List<double[]> polygons, int h, int w) {
    return Rle.union(toRles(polygons, h, w));
  }
}
