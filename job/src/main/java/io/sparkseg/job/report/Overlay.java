package io.sparkseg.job.report;

import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.mask.Rle;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import javax.imageio.ImageIO;

/** Draws instances (mask, box, label, keypoints) over an image, scaled to a thumbnail. */
final class Overlay {
  private Overlay() {}

  /** One instance to draw; keypoints are flat (x, y, score) triples or null. */
  record Shape(int categoryId, String label, double score, double[] box, Rle mask, float[] keypoints) {}

  /** COCO's person skeleton (1-based keypoint pairs), drawn when an instance has 17 keypoints. */
  static final int[][] COCO_SKELETON = {{16, 14}, {14, 12}, {17, 15}, {15, 13}, {12, 13}, {6, 12}, {7, 13}, {6, 7},
      {6, 8}, {7, 9}, {8, 10}, {9, 11}, {2, 3}, {1, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}, {5, 7}};

  static final String[] PALETTE = {"#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
      "#bfef45", "#9a6324", "#800000", "#469990", "#000075"};

  static String color(int categoryId) {
    return PALETTE[Math.floorMod(categoryId, PALETTE.length)];
  }

  static BufferedImage toImage(RgbImage img) {
    int w = img.width();
    int h = img.height();
    byte[] rgb = img.rgb();
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    int[] px = new int[w];
    for (int y = 0; y < h; y++) {
      int o = y * w * 3;
      for (int x = 0; x < w; x++) {
        px[x] = ((rgb[o] & 0xFF) << 16) | ((rgb[o + 1] & 0xFF) << 8) | (rgb[o + 2] & 0xFF);
        o += 3;
      }
      out.setRGB(0, y, w, 1, px, 0, w);
    }
    return out;
  }

  /**
   * The image scaled to at most {@code maxWidth} pixels wide with the shapes drawn on it: masks
   * tinted in their class colour with a solid outline, boxes, "class score" labels and keypoints.
   */
  static BufferedImage draw(BufferedImage image, List<Shape> shapes, int maxWidth) {
    int w0 = image.getWidth();
    int h0 = image.getHeight();
    double s = Math.min(1.0, (double) maxWidth / w0);
    int w = Math.max(1, (int) Math.round(w0 * s));
    int h = Math.max(1, (int) Math.round(h0 * s));
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.drawImage(image, 0, 0, w, h, null);
    // masks first (lowest score first, so the best instance ends on top)
    for (int i = shapes.size() - 1; i >= 0; i--) {
      Shape sh = shapes.get(i);
      if (sh.mask() != null && sh.mask().height() == h0 && sh.mask().width() == w0) {
        tint(out, sh.mask(), s, Color.decode(color(sh.categoryId())));
      }
    }
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 11));
    FontMetrics fm = g.getFontMetrics();
    for (int i = shapes.size() - 1; i >= 0; i--) {
      Shape sh = shapes.get(i);
      Color c = Color.decode(color(sh.categoryId()));
      if (sh.box() != null) {
        g.setColor(c);
        g.setStroke(new BasicStroke(2f));
        int bx = (int) Math.round(sh.box()[0] * s);
        int by = (int) Math.round(sh.box()[1] * s);
        g.drawRect(bx, by, (int) Math.round(sh.box()[2] * s), (int) Math.round(sh.box()[3] * s));
        String label = sh.label() + String.format(java.util.Locale.ROOT, " %.2f", sh.score());
        int tw = fm.stringWidth(label) + 6;
        int ty = Math.max(0, by - fm.getHeight());
        g.fillRect(bx, ty, tw, fm.getHeight());
        g.setColor(Color.WHITE);
        g.drawString(label, bx + 3, ty + fm.getAscent());
      }
      float[] k = sh.keypoints();
      if (k != null && k.length >= 3) {
        int n = k.length / 3;
        g.setStroke(new BasicStroke(2f));
        if (n == 17) {
          g.setColor(new Color(255, 255, 255, 200));
          for (int[] e : COCO_SKELETON) {
            int a = e[0] - 1;
            int b = e[1] - 1;
            if (k[3 * a + 2] > 0.2f && k[3 * b + 2] > 0.2f) {
              g.drawLine((int) Math.round(k[3 * a] * s), (int) Math.round(k[3 * a + 1] * s),
                  (int) Math.round(k[3 * b] * s), (int) Math.round(k[3 * b + 1] * s));
            }
          }
        }
        for (int j = 0; j < n; j++) {
          if (k[3 * j + 2] > 0.2f) {
            int x = (int) Math.round(k[3 * j] * s);
            int y = (int) Math.round(k[3 * j + 1] * s);
            g.setColor(Color.WHITE);
            g.fillOval(x - 3, y - 3, 7, 7);
            g.setColor(c);
            g.fillOval(x - 2, y - 2, 5, 5);
          }
        }
      }
    }
    g.dispose();
    return out;
  }

  /** Blends the mask into the (scaled) image at 45% and draws its boundary pixels solid. */
  private static void tint(BufferedImage out, Rle mask, double s, Color c) {
    int w = out.getWidth();
    int h = out.getHeight();
    int mh = mask.height();
    int mw = mask.width();
    byte[] m = mask.decode(); // column-major
    boolean[] in = new boolean[w * h];
    for (int y = 0; y < h; y++) {
      int my = Math.min(mh - 1, (int) ((y + 0.5) / s));
      for (int x = 0; x < w; x++) {
        int mx = Math.min(mw - 1, (int) ((x + 0.5) / s));
        in[y * w + x] = m[mx * mh + my] != 0;
      }
    }
    int cr = c.getRed();
    int cg = c.getGreen();
    int cb = c.getBlue();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (!in[y * w + x]) {
          continue;
        }
        boolean edge = x == 0 || y == 0 || x == w - 1 || y == h - 1 || !in[y * w + x - 1] || !in[y * w + x + 1]
            || !in[(y - 1) * w + x] || !in[(y + 1) * w + x];
        int p = out.getRGB(x, y);
        int r;
        int gg;
        int b;
        if (edge) {
          r = cr;
          gg = cg;
          b = cb;
        } else {
          r = (int) (((p >> 16) & 0xFF) * 0.55 + cr * 0.45);
          gg = (int) (((p >> 8) & 0xFF) * 0.55 + cg * 0.45);
          b = (int) ((p & 0xFF) * 0.55 + cb * 0.45);
        }
        out.setRGB(x, y, (r << 16) | (gg << 8) | b);
      }
    }
  }

  static byte[] png(BufferedImage img) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
