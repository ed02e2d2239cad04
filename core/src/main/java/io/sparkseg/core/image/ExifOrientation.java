package io.sparkseg.core.image;

/**
 * Reads the EXIF orientation tag (0x0112) from JPEG APP1 "Exif" segments and TIFF files, and
 * applies it to an {@link RgbImage} so that pixels come out upright as a viewer would show them.
 * Values follow the EXIF/TIFF specification: 1 = upright, 2 = mirrored horizontally,
 * 3 = rotated 180, 4 = mirrored vertically, 5 = transposed, 6 = needs 90 degrees clockwise
 * rotation, 7 = transversed, 8 = needs 90 degrees counter-clockwise rotation.
 */
public final class ExifOrientation {
  private static final int TAG_ORIENTATION = 0x0112;

  private ExifOrientation() {}

  /** The orientation (1..8) declared by the image's metadata; 1 when absent or unreadable. */
  public static int read(byte[] data) {
    try {
      if (data.length >= 4 && (data[0] & 0xFF) == 0xFF && (data[1] & 0xFF) == 0xD8) {
        return fromJpeg(data);
      }
      if (data.length >= 8
          && ((data[0] == 'I' && data[1] == 'I') || (data[0] == 'M' && data[1] == 'M'))) {
        return fromTiff(data, 0, data.length);
      }
    } catch (RuntimeException e) {
      // malformed metadata never fails decoding: treat as upright
    }
    return 1;
  }

  private static int fromJpeg(byte[] d) {
    int p = 2;
    while (p + 4 <= d.length) {
      if ((d[p] & 0xFF) != 0xFF) {
        return 1;
      }
      int marker = d[p + 1] & 0xFF;
      if (marker == 0xFF) { // fill byte
        p++;
        continue;
      }
      if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
        p += 2;
        continue;
      }
      if (marker == 0xDA || marker == 0xD9) { // start of scan / end: no metadata after this
        return 1;
      }
      int len = ((d[p + 2] & 0xFF) << 8) | (d[p + 3] & 0xFF);
      if (len < 2) {
        return 1;
      }
      int seg = p + 4;
      int segEnd = Math.min(d.length, p + 2 + len);
      if (marker == 0xE1 && segEnd - seg >= 14
          && d[seg] == 'E' && d[seg + 1] == 'x' && d[seg + 2] == 'i' && d[seg + 3] == 'f'
          && d[seg + 4] == 0 && d[seg + 5] == 0) {
        return fromTiff(d, seg + 6, segEnd);
      }
      p += 2 + len;
    }
    return 1;
  }

  /** Parses a TIFF structure at {@code base} (the byte-order mark) and looks in IFD0. */
  private static int fromTiff(byte[] d, int base, int end) {
    boolean little = d[base] == 'I';
    if (u16(d, base + 2, little, end) != 42) {
      return 1;
    }
    long ifd = u32(d, base + 4, little, end);
    int p = base + (int) ifd;
    if (ifd < 8 || p + 2 > end) {
      return 1;
    }
    int n = u16(d, p, little, end);
    for (int i = 0; i < n; i++) {
      int e = p + 2 + 12 * i;
      if (e + 12 > end) {
        return 1;
      }
      if (u16(d, e, little, end) == TAG_ORIENTATION) {
        int type = u16(d, e + 2, little, end);
        int value = type == 3 ? u16(d, e + 8, little, end) : (int) u32(d, e + 8, little, end);
        return value >= 1 && value <= 8 ? value : 1;
      }
    }
    return 1;
  }

  private static int u16(byte[] d, int p, boolean little, int end) {
    if (p + 2 > end) {
      throw new IndexOutOfBoundsException();
    }
    int a = d[p] & 0xFF;
    int b = d[p + 1] & 0xFF;
    return little ? (b << 8) | a : (a << 8) | b;
  }

  private static long u32(byte[] d, int p, boolean little, int end) {
    if (p + 4 > end) {
      throw new IndexOutOfBoundsException();
    }
    long a = d[p] & 0xFF;
    long b = d[p + 1] & 0xFF;
    long c = d[p + 2] & 0xFF;
    long e = d[p + 3] & 0xFF;
    return little ? (e << 24) | (c << 16) | (b << 8) | a : (a << 24) | (b << 16) | (c << 8) | e;
  }

  /** Whether the orientation swaps width and height (5..8). */
  public static boolean swapsDimensions(int orientation) {
    return orientation >= 5 && orientation <= 8;
  }

  /** Returns the upright image for an image stored with {@code orientation}. */
  public static RgbImage apply(RgbImage src, int orientation) {
    if (orientation <= 1 || orientation > 8) {
      return src;
    }
    int w = src.width();
    int h = src.height();
    boolean swap = swapsDimensions(orientation);
    int ow = swap ? h : w;
    int oh = swap ? w : h;
    byte[] in = src.rgb();
    byte[] out = new byte[in.length];
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        int sx;
        int sy;
        switch (orientation) {
          case 2 -> { sx = w - 1 - x; sy = y; }
          case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
          case 4 -> { sx = x; sy = h - 1 - y; }
          case 5 -> { sx = y; sy = x; }
          case 6 -> { sx = y; sy = h - 1 - x; }
          case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
          default -> { sx = w - 1 - y; sy = x; } // 8
        }
        int si = (sy * w + sx) * 3;
        int oi = (y * ow + x) * 3;
        out[oi] = in[si];
        out[oi + 1] = in[si + 1];
        out[oi + 2] = in[si + 2];
      }
    }
    return new RgbImage(ow, oh, out);
  }
}
