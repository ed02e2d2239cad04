package io.sparkseg.udfs;

import io.sparkseg.core.mask.Rle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Outer contours of a binary mask as polygons along the pixel edges.
 *
 * <p>Pixel {@code (x, y)} covers the square {@code [x, x+1] x [y, y+1]}; a contour runs along the
 * cracks between foreground and background pixels, so its vertices are integer pixel corners and
 * its shoelace area is exactly the number of pixels it encloses. Foreground is 4-connected: two
 * pixels that touch only at a corner belong to different polygons (or the polygon touches itself
 * at that corner), so every polygon is simple or weakly simple. Holes are not reported: each
 * polygon is the outer boundary of one 4-connected component, so the union of the polygons is
 * the mask with its holes filled (which is what COCO polygon annotations can express).
 *
 * <p>Only the corners are emitted (collinear points are dropped). Each polygon is a flat {@code
 * [x1, y1, x2, y2, ...]} list, clockwise on screen (y down), starting at the top-left corner of
 * its top-most, left-most pixel; polygons are ordered by that pixel in row-major order.
 */
public final class Contours {
  private Contours() {}

  // directions: 0 = +x, 1 = +y, 2 = -x, 3 = -y (y points down)
  private static final int[] DX = {1, 0, -1, 0};
  private static final int[] DY = {0, 1, 0, -1};
  // the pixel ahead-left / ahead-right of a vertex when moving in direction d (offset from vertex)
  private static final int[] AL_X = {0, 0, -1, -1};
  private static final int[] AL_Y = {-1, 0, 0, -1};
  private static final int[] AR_X = {0, -1, -1, 0};
  private static final int[] AR_Y = {0, 0, -1, -1};

  /** The outer contours of the mask, each a flat {@code [x1, y1, x2, y2, ...]} list of corners. */
  public static List<double[]> outer(Rle mask) {
    int h = mask.height();
    int w = mask.width();
    List<double[]> out = new ArrayList<>();
    if (h == 0 || w == 0 || mask.area() == 0) {
      return out;
    }
    byte[] m = mask.decodeRowMajor();
    boolean[] visited = new boolean[m.length]; // top edge of pixel (x, y) traced
    int[] buf = new int[64];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = y * w + x;
        if (m[i] == 0 || visited[i] || (y > 0 && m[i - w] != 0)) {
          continue;
        }
        // trace the boundary through the top edge of (x, y), foreground on the right-hand side
        int n = 0;
        buf[n++] = x;
        buf[n++] = y;
        visited[i] = true;
        int vx = x + 1;
        int vy = y;
        int d = 0;
        long area2 = 0; // twice the signed area
        int px = x;
        int py = y;
        while (true) {
          boolean ar = fg(m, w, h, vx + AR_X[d], vy + AR_Y[d]);
          int nd;
          if (!ar) {
            nd = (d + 1) & 3; // turn right (also at a saddle: stay with the pixel on our right)
          } else if (fg(m, w, h, vx + AL_X[d], vy + AL_Y[d])) {
            nd = (d + 3) & 3; // turn left
          } else {
            nd = d;
          }
          if (vx == x && vy == y && nd == 0) {
            break;
          }
          if (nd != d) {
            if (n + 2 > buf.length) {
              buf = Arrays.copyOf(buf, buf.length * 2);
            }
            buf[n++] = vx;
            buf[n++] = vy;
            area2 += (long) px * vy - (long) vx * py;
            px = vx;
            py = vy;
          }
          d = nd;
          if (d == 0) {
            visited[vy * w + vx] = true;
          }
          vx += DX[d];
          vy += DY[d];
        }
        area2 += (long) px * y - (long) x * py;
        if (area2 > 0) { // clockwise on screen: an outer boundary; holes run the other way
          double[] poly = new double[n];
          for (int k = 0; k < n; k++) {
            poly[k] = buf[k];
          }
          out.add(poly);
        }
      }
    }
    return out;
  }

  private static boolean fg(byte[] m, int w, int h, int x, int y) {
    return x >= 0 && y >= 0 && x < w && y < h && m[y * w + x] != 0;
  }

  /** The shoelace area of a flat polygon (positive when clockwise on screen). */
  public static double signedArea(double[] xy) {
    double a = 0;
    int n = xy.length / 2;
    for (int i = 0; i < n; i++) {
      int j = (i + 1) % n;
      a += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
    }
    return a / 2;
  }
}
