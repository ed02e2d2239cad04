package io.sparkseg.udfs;

import io.sparkseg.core.mask.Rle;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Masks as small palette PNGs (1 bit per pixel). */
public final class MaskPng {
  private MaskPng() {}

  /**
   * The mask as a 1-bit PNG: background 0, foreground 1. With {@code rgba == null} the palette is
   * black/white; otherwise the background is transparent and the foreground has colour {@code
   * rgba} (0xRRGGBBAA), ready to lay over the image.
   */
  public static byte[] encode(Rle mask, Integer rgba) {
    int h = mask.height();
    int w = mask.width();
    if (h == 0 || w == 0) {
      throw new IllegalArgumentException("a " + h + "x" + w + " mask has no pixels to draw");
    }
    IndexColorModel cm;
    if (rgba == null) {
      cm = new IndexColorModel(1, 2, new byte[] {0, (byte) 255}, new byte[] {0, (byte) 255},
          new byte[] {0, (byte) 255});
    } else {
      int c = rgba;
      cm = new IndexColorModel(1, 2, new byte[] {0, (byte) (c >>> 24)}, new byte[] {0, (byte) (c >>> 16)},
          new byte[] {0, (byte) (c >>> 8)}, new byte[] {0, (byte) c});
    }
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_BINARY, cm);
    WritableRaster r = img.getRaster();
    // walk the runs (column-major) and set the 1-pixels
    int p = 0;
    boolean on = false;
    for (int k = 0; k < mask.runCount(); k++) {
      int c = mask.run(k);
      if (on) {
        for (int q = p; q < p + c; q++) {
          r.setSample(q / h, q % h, 0, 1);
        }
      }
      p += c;
      on = !on;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + (w * h) / 16);
    try {
      if (!ImageIO.write(img, "png", out)) {
        throw new IllegalStateException("no PNG writer available");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Parses {@code #RRGGBB}, {@code #RRGGBBAA} (the {@code #} optional) into 0xRRGGBBAA. */
  public static int parseColor(String s) {
    String t = s.trim();
    if (t.startsWith("#")) {
      t = t.substring(1);
    }
    if (!t.matches("[0-9a-fA-F]{6}([0-9a-fA-F]{2})?")) {
      throw new IllegalArgumentException("colour must be #RRGGBB or #RRGGBBAA, got '" + s + "'");
    }
    long v = Long.parseLong(t, 16);
    return t.length() == 6 ? (int) ((v << 8) | 0xFF) : (int) v;
  }
}
