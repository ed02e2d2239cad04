package io.sparkseg.core.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MaskBoundaryTest {

  /** An h x w mask (row-major) that is 1 on the boxes {x0, y0, x1, y1} (ends exclusive). */
  static byte[] boxes(int h, int w, int[]... boxes) {
    byte[] m = new byte[h * w];
    for (int[] b : boxes) {
      for (int y = b[1]; y < b[3]; y++) {
        for (int x = b[0]; x < b[2]; x++) {
          m[y * w + x] = 1;
        }
      }
    }
    return m;
  }

  static Rle rle(int h, int w, byte[] rowMajor) {
    return Rle.encodeRowMajor(h, w, rowMajor);
  }

  @Test
  void filledRectangleGivesARingOfWidthD() {
    int h = 20;
    int w = 20;
    Rle rect = rle(h, w, boxes(h, w, new int[] {5, 4, 15, 16})); // 10 wide, 12 tall
    Rle b = MaskBoundary.of(rect, 2);
    byte[] ring = boxes(h, w, new int[] {5, 4, 15, 16});
    for (int y = 6; y < 14; y++) {
      for (int x = 7; x < 13; x++) {
        ring[y * w + x] = 0;
      }
    }
    assertArrayEquals(ring, b.decodeRowMajor());
    assertEquals(120 - 6 * 8, b.area());
  }

  @Test
  void theImageBorderCountsAsOutside() {
    int h = 8;
    int w = 10;
    // touches the left and top border
    Rle m = rle(h, w, boxes(h, w, new int[] {0, 0, 6, 5}));
    byte[] got = MaskBoundary.of(m, 1).decodeRowMajor();
    byte[] expected = boxes(h, w, new int[] {0, 0, 6, 5});
    for (int y = 1; y < 4; y++) {
      for (int x = 1; x < 5; x++) {
        expected[y * w + x] = 0; // the interior: not within 1 pixel of the outside or the border
      }
    }
    assertArrayEquals(expected, got);
    assertEquals(1, got[2 * w], "the pixel on the left border is boundary");
    assertEquals(1, got[3], "the pixel on the top border is boundary");
    // the whole image as the mask: its boundary is the frame along the border
    Rle all = rle(h, w, boxes(h, w, new int[] {0, 0, w, h}));
    assertEquals(h * w - (h - 4) * (w - 4), MaskBoundary.of(all, 2).area());
  }

  @Test
  void aMaskNarrowerThanTheWidthIsAllBoundary() {
    int h = 30;
    int w = 30;
    Rle square = rle(h, w, boxes(h, w, new int[] {3, 3, 9, 9}));
    assertSame(square, MaskBoundary.of(square, 5));
    assertEquals(square, MaskBoundary.of(square, 3)); // 6 < 7: nothing survives
    // wide but thin: a 2d+1 square fits nowhere, though the box is large
    Rle cross = rle(h, w, boxes(h, w, new int[] {2, 10, 28, 14}, new int[] {12, 1, 16, 29}));
    assertEquals(cross, MaskBoundary.of(cross, 2));
    Rle empty = Rle.empty(h, w);
    assertEquals(0, MaskBoundary.of(empty, 1).area());
  }

  @Test
  void widthFromTheDiagonal() {
    assertEquals(16, MaskBoundary.dilation(480, 640, 0.02)); // diagonal 800
    assertEquals(1, MaskBoundary.dilation(3, 4, 0.02), "at least 1 pixel");
    assertEquals(2, MaskBoundary.dilation(3, 4, 0.5), "2.5 rounds to even, as Python's round");
    assertEquals(4, MaskBoundary.dilation(3, 4, 0.7), "3.5 rounds to even");
    assertEquals(3, MaskBoundary.dilation(3, 4, 0.6));
    assertEquals(Integer.MAX_VALUE, MaskBoundary.dilation(3, 4, 1e300));
    for (double bad : new double[] {0, -0.1, Double.NaN, Double.POSITIVE_INFINITY}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MaskBoundary.dilation(3, 4, bad));
      assertTrue(e.getMessage().contains("dilation ratio"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> MaskBoundary.of(Rle.empty(2, 2), 0));
    // the width of Rle overload: 10x10 at 0.15 -> round(2.12) = 2
    int h = 10;
    Rle m = rle(h, h, boxes(h, h, new int[] {1, 1, 9, 9}));
    assertEquals(MaskBoundary.of(m, 2), MaskBoundary.of(m, 0.15));
  }

  /** The reference's steps, literally: pad with zeros, erode by a 3x3 square d times, subtract. */
  static byte[] byErosion(byte[] rowMajor, int h, int w, int d) {
    int ph = h + 2;
    int pw = w + 2;
    byte[] p = new byte[ph * pw];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        p[(y + 1) * pw + x + 1] = rowMajor[y * w + x];
      }
    }
    for (int i = 0; i < d; i++) {
      byte[] next = new byte[p.length];
      for (int y = 0; y < ph; y++) {
        for (int x = 0; x < pw; x++) {
          byte v = 1;
          for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
              int yy = y + dy;
              int xx = x + dx;
              // beyond the padded image nothing is 0 (the padding ring is what erodes)
              if (yy >= 0 && yy < ph && xx >= 0 && xx < pw && p[yy * pw + xx] == 0) {
                v = 0;
              }
            }
          }
          next[y * pw + x] = v;
        }
      }
      p = next;
    }
    byte[] out = new byte[h * w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        out[y * w + x] = (byte) (rowMajor[y * w + x] - p[(y + 1) * pw + x + 1]);
      }
    }
    return out;
  }

  @Test
  void sameAsErodingDTimes() {
    Random r = new Random(7);
    for (int n = 0; n < 60; n++) {
      int h = 5 + r.nextInt(30);
      int w = 5 + r.nextInt(30);
      byte[] m = new byte[h * w];
      // blobs of random boxes, some touching the border, some with holes cut out
      for (int k = 0; k < 1 + r.nextInt(4); k++) {
        int x0 = r.nextInt(w);
        int y0 = r.nextInt(h);
        int x1 = Math.min(w, x0 + 1 + r.nextInt(w));
        int y1 = Math.min(h, y0 + 1 + r.nextInt(h));
        byte v = (byte) (k > 0 && r.nextInt(3) == 0 ? 0 : 1);
        for (int y = y0; y < y1; y++) {
          for (int x = x0; x < x1; x++) {
            m[y * w + x] = v;
          }
        }
      }
      for (int i = 0; i < m.length; i++) {
        if (r.nextInt(25) == 0) {
          m[i] ^= 1;
        }
      }
      int d = 1 + r.nextInt(5);
      assertArrayEquals(byErosion(m, h, w, d), MaskBoundary.of(rle(h, w, m), d).decodeRowMajor(),
          "case " + n + ": " + h + "x" + w + ", d " + d);
    }
  }

  @Test
  void emptyRunsOfZerosDoNotSplitARun() {
    int h = 12;
    Rle canonical = rle(h, h, boxes(h, h, new int[] {2, 2, 10, 10}));
    int[] c = canonical.counts(); // 0s, 8 ones, 4 zeros, 8 ones, ...
    int[] split = new int[c.length + 2];
    System.arraycopy(c, 0, split, 0, 3);
    split[3] = 3; // the second column's 8 ones as 3, no zeros, 5
    split[4] = 0;
    split[5] = c[3] - 3;
    System.arraycopy(c, 4, split, 6, c.length - 4);
    Rle uncompressed = new Rle(h, h, split);
    assertEquals(canonical.area(), uncompressed.area());
    assertEquals(MaskBoundary.of(canonical, 2), MaskBoundary.of(uncompressed, 2));
    assertEquals(64 - 16, MaskBoundary.of(uncompressed, 2).area());
  }

  @Test
  void boundaryIouOfTwoSquaresByHand() {
    int h = 10;
    // 6x6 squares one pixel apart; at d = 1 each boundary is its square's outer ring (20 pixels)
    Rle gt = rle(h, h, boxes(h, h, new int[] {1, 1, 7, 7}));
    Rle dt = rle(h, h, boxes(h, h, new int[] {2, 1, 8, 7}));
    assertEquals(20, MaskBoundary.of(gt, 1).area());
    // the rings share the top and bottom rows over x = 2..6: 10 pixels; union 20 + 20 - 10
    double boundary = MaskIou.iou(MaskBoundary.of(dt, 1), MaskBoundary.of(gt, 1), false);
    assertEquals(10.0 / 30, boundary, 1e-15);
    double mask = MaskIou.iou(dt, gt, false);
    assertEquals(30.0 / 42, mask, 1e-15);
    Rle far = rle(h, h, boxes(h, h, new int[] {8, 8, 10, 10}));
    double[][] m = BoundaryIou.matrix(List.of(dt, far), List.of(gt, gt), new boolean[] {false, true}, 1);
    assertEquals(10.0 / 30, m[0][0], 1e-15, "the smaller of mask and boundary IoU");
    assertEquals(30.0 / 36, m[0][1], 1e-15, "crowd: the mask's intersection over the detection's area");
    assertEquals(0, m[1][0]);
    assertEquals(0, m[1][1]);
    // below the floor a pair keeps its mask IoU: under the lowest threshold either way
    assertEquals(mask, BoundaryIou.matrix(List.of(dt), List.of(gt), new boolean[] {false}, 1, 0.75)[0][0], 0.0);
    assertEquals(10.0 / 30, BoundaryIou.matrix(List.of(dt), List.of(gt), new boolean[] {false}, 1, 0.5)[0][0], 1e-15);
    // a wide boundary: the whole squares, so the mask IoU
    assertEquals(mask, BoundaryIou.matrix(List.of(dt), List.of(gt), new boolean[] {false}, 3)[0][0], 0.0);
  }
}
