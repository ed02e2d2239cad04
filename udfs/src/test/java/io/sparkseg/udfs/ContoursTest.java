package io.sparkseg.udfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.mask.Polygons;
import io.sparkseg.core.mask.Rle;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ContoursTest {
  /** The mask with its holes filled: background not 8-connected to the border becomes foreground. */
  static Rle fillHoles(Rle m) {
    int h = m.height();
    int w = m.width();
    byte[] px = m.decodeRowMajor();
    boolean[] outside = new boolean[px.length];
    ArrayDeque<Integer> q = new ArrayDeque<>();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if ((x == 0 || y == 0 || x == w - 1 || y == h - 1) && px[y * w + x] == 0) {
          outside[y * w + x] = true;
          q.add(y * w + x);
        }
      }
    }
    while (!q.isEmpty()) {
      int i = q.poll();
      int x = i % w;
      int y = i / w;
      for (int dy = -1; dy <= 1; dy++) {
        for (int dx = -1; dx <= 1; dx++) {
          int nx = x + dx;
          int ny = y + dy;
          if (nx >= 0 && ny >= 0 && nx < w && ny < h && px[ny * w + nx] == 0 && !outside[ny * w + nx]) {
            outside[ny * w + nx] = true;
            q.add(ny * w + nx);
          }
        }
      }
    }
    byte[] out = new byte[px.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) (outside[i] ? 0 : 1);
    }
    return Rle.encodeRowMajor(h, w, out);
  }

  private static Rle mask(String... rows) {
    int h = rows.length;
    int w = rows[0].length();
    byte[] b = new byte[h * w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        b[y * w + x] = (byte) (rows[y].charAt(x) == '#' ? 1 : 0);
      }
    }
    return Rle.encodeRowMajor(h, w, b);
  }

  @Test
  void squareWithAHoleGivesItsOuterBoundary() {
    List<double[]> p = Contours.outer(mask(
        ".....",
        ".###.",
        ".#.#.",
        ".###.",
        "....."));
    assertEquals(1, p.size());
    assertArrayEquals(new double[] {1, 1, 4, 1, 4, 4, 1, 4}, p.get(0));
  }

  @Test
  void diagonalNeighboursAreSeparatePolygons() {
    List<double[]> p = Contours.outer(mask(
        "#.",
        ".#"));
    assertEquals(2, p.size());
    assertArrayEquals(new double[] {0, 0, 1, 0, 1, 1, 0, 1}, p.get(0));
    assertArrayEquals(new double[] {1, 1, 2, 1, 2, 2, 1, 2}, p.get(1));
  }

  @Test
  void ringOpenAtACornerTouchesItselfAndKeepsTheGap() {
    Rle m = mask(
        ".##",
        "#.#",
        "###");
    List<double[]> p = Contours.outer(m);
    assertEquals(1, p.size());
    assertEquals(7.0, Contours.signedArea(p.get(0)));
    assertEquals(m, Polygons.toMergedRle(p, 3, 3));
  }

  @Test
  void randomMasksRoundTripThroughPycocotoolsRasterisation() {
    Random rnd = new Random(7);
    for (int t = 0; t < 300; t++) {
      int h = 1 + rnd.nextInt(12);
      int w = 1 + rnd.nextInt(12);
      double p = rnd.nextDouble();
      byte[] b = new byte[h * w];
      for (int i = 0; i < b.length; i++) {
        b[i] = (byte) (rnd.nextDouble() < p ? 1 : 0);
      }
      Rle m = Rle.encode(h, w, b);
      Rle filled = fillHoles(m);
      List<double[]> polys = Contours.outer(m);
      double area = 0;
      for (double[] poly : polys) {
        assertTrue(Contours.signedArea(poly) > 0);
        area += Contours.signedArea(poly);
      }
      // components nested in another's hole are polygons of their own, so the sum can exceed the union
      assertTrue(area >= filled.area(), m.toString());
      if (!polys.isEmpty()) {
        assertEquals(filled, Polygons.toMergedRle(polys, h, w), m.toString());
      }
    }
  }
}
