package io.sparkseg.core.image;

import java.awt.Point;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Generates test images in memory, including a corpus of bad and awkward inputs (corrupt,
 * truncated, zero-byte, text, unsupported format, decompression-bomb header, grayscale, alpha,
 * 16-bit, CMYK JPEG, EXIF-rotated JPEG). Shared with the job module's tests via the test-jar.
 */
public final class TestImages {
  private TestImages() {}

  /** A w x h image whose left half is red and right half is blue. */
  public static BufferedImage redBlue(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, x < w / 2 ? 0xFF0000 : 0x0000FF);
      }
    }
    return img;
  }

  public static byte[] encode(BufferedImage img, String format) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (!ImageIO.write(img, format, out)) {
        throw new IllegalStateException("no writer for " + format + " / type " + img.getType());
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] jpeg(int w, int h) {
    return encode(redBlue(w, h), "jpeg");
  }

  public static byte[] png(int w, int h) {
    return encode(redBlue(w, h), "png");
  }

  /** An 8-bit grayscale PNG filled with {@code value}. */
  public static byte[] grayPng(int w, int h, int value) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    WritableRaster r = img.getRaster();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        r.setSample(x, y, 0, value);
      }
    }
    return encode(img, "png");
  }

  /** An 8-bit grayscale JPEG filled with {@code value}. */
  public static byte[] grayJpeg(int w, int h, int value) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    WritableRaster r = img.getRaster();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        r.setSample(x, y, 0, value);
      }
    }
    return encode(img, "jpeg");
  }

  /** An RGBA PNG whose pixels are (r,g,b) with alpha {@code a}. */
  public static byte[] alphaPng(int w, int h, int r, int g, int b, int a) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
    int argb = (a << 24) | (r << 16) | (g << 8) | b;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, argb);
      }
    }
    return encode(img, "png");
  }

  /** A 16-bit-per-channel RGB PNG with samples (r16, g16, b16). */
  public static byte[] rgb16Png(int w, int h, int r16, int g16, int b16) {
    ComponentColorModel cm = new ComponentColorModel(
        ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
    WritableRaster raster = cm.createCompatibleWritableRaster(w, h);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        raster.setPixel(x, y, new int[] {r16, g16, b16});
      }
    }
    return encode(new BufferedImage(cm, raster, false, null), "png");
  }

  /** A 16-bit grayscale PNG with sample {@code v16}. */
  public static byte[] gray16Png(int w, int h, int v16) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY);
    WritableRaster r = img.getRaster();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        r.setSample(x, y, 0, v16);
      }
    }
    return encode(img, "png");
  }

  /**
   * A CMYK JPEG (Adobe APP14 marker, no colour transform, inverted samples as Photoshop writes
   * them) whose every pixel is the given CMYK ink coverage in 0..255.
   */
  public static byte[] cmykJpeg(int w, int h, int c, int m, int y, int k) {
    WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, new Point());
    int[] px = {255 - c, 255 - m, 255 - y, 255 - k};
    for (int yy = 0; yy < h; yy++) {
      for (int xx = 0; xx < w; xx++) {
        raster.setPixel(xx, yy, px);
      }
    }
    try {
      ImageWriter writer = jdkJpegWriter();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
        writer.setOutput(ios);
        writer.write(null, new IIOImage(raster, null, null), null);
      } finally {
        writer.dispose();
      }
      return insertSegment(out.toByteArray(), adobeApp14());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ImageWriter jdkJpegWriter() {
    var it = ImageIO.getImageWritersByFormatName("jpeg");
    ImageWriter first = null;
    while (it.hasNext()) {
      ImageWriter w = it.next();
      if (w.canWriteRasters()) {
        return w;
      }
      if (first == null) {
        first = w;
      }
    }
    return first;
  }

  private static byte[] adobeApp14() {
    // "Adobe", version 100, flags0, flags1, transform 0 (CMYK, no YCC transform)
    byte[] payload = {'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0};
    return segment(0xEE, payload);
  }

  /** A JPEG (red left half, blue right half, w x h as stored) tagged with EXIF orientation. */
  public static byte[] exifJpeg(int w, int h, int orientation) {
    return insertSegment(jpeg(w, h), exifApp1(orientation));
  }

  static byte[] exifApp1(int orientation) {
    ByteBuffer b = ByteBuffer.allocate(6 + 8 + 2 + 12 + 4);
    b.put(new byte[] {'E', 'x', 'i', 'f', 0, 0});
    b.put(new byte[] {'M', 'M', 0, 42, 0, 0, 0, 8}); // big-endian TIFF, IFD0 at 8
    b.putShort((short) 1); // one entry
    b.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
    b.putInt(0); // no next IFD
    return segment(0xE1, b.array());
  }

  private static byte[] segment(int marker, byte[] payload) {
    byte[] seg = new byte[4 + payload.length];
    seg[0] = (byte) 0xFF;
    seg[1] = (byte) marker;
    int len = payload.length + 2;
    seg[2] = (byte) (len >> 8);
    seg[3] = (byte) len;
    System.arraycopy(payload, 0, seg, 4, payload.length);
    return seg;
  }

  /** Inserts a marker segment right after SOI (and after a leading APP0 JFIF, if present). */
  private static byte[] insertSegment(byte[] jpeg, byte[] seg) {
    int at = 2;
    if ((jpeg[2] & 0xFF) == 0xFF && (jpeg[3] & 0xFF) == 0xE0) {
      at = 4 + (((jpeg[4] & 0xFF) << 8) | (jpeg[5] & 0xFF));
    }
    byte[] out = new byte[jpeg.length + seg.length];
    System.arraycopy(jpeg, 0, out, 0, at);
    System.arraycopy(seg, 0, out, at, seg.length);
    System.arraycopy(jpeg, at, out, at + seg.length, jpeg.length - at);
    return out;
  }

  /** A valid PNG signature and IHDR chunk declaring {@code w x h}, and nothing else. */
  public static byte[] pngHeaderOnly(int w, int h) {
    ByteBuffer ihdr = ByteBuffer.allocate(13);
    ihdr.putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    ByteBuffer b = ByteBuffer.allocate(8 + 12 + 13);
    b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    b.putInt(13).put("IHDR".getBytes(StandardCharsets.US_ASCII)).put(ihdr.array());
    CRC32 crc = new CRC32();
    crc.update("IHDR".getBytes(StandardCharsets.US_ASCII));
    crc.update(ihdr.array());
    b.putInt((int) crc.getValue());
    return b.array();
  }

  /**
   * A valid {@code w x h} 8-bit RGB PNG of black pixels, compressed as it is written (the pixels
   * never exist in memory here): a small file that decodes to a large image.
   */
  public static byte[] blackPng(int w, int h) {
    ByteArrayOutputStream idat = new ByteArrayOutputStream();
    try (DeflaterOutputStream z = new DeflaterOutputStream(idat, new Deflater(Deflater.BEST_COMPRESSION), 1 << 16)) {
      byte[] row = new byte[1 + 3 * w]; // filter type 0, then the row's samples
      for (int y = 0; y < h; y++) {
        z.write(row);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] header = pngHeaderOnly(w, h);
    byte[] data = idat.toByteArray();
    ByteBuffer b = ByteBuffer.allocate(header.length + 12 + data.length + 12);
    b.put(header);
    chunk(b, "IDAT", data);
    chunk(b, "IEND", new byte[0]);
    return b.array();
  }

  private static void chunk(ByteBuffer b, String type, byte[] data) {
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    b.putInt(data.length).put(t).put(data).putInt((int) crc.getValue());
  }

  /** A JPEG whose Huffman table definition has been overwritten with garbage. */
  public static byte[] corruptJpeg(int w, int h) {
    byte[] d = jpeg(w, h);
    int dht = indexOfMarker(d, 0xC4);
    for (int i = dht + 5; i < dht + 5 + 16; i++) {
      d[i] = (byte) 0x7F; // code counts summing far over 256: a bogus table
    }
    return d;
  }

  /** The first 40% of a JPEG: the decoder hits the end in the middle of the scan. */
  public static byte[] truncatedJpeg(int w, int h) {
    byte[] d = jpeg(w, h);
    return Arrays.copyOf(d, (int) (d.length * 0.4));
  }

  /** A minimal HEIF "ftyp" box: a real image format no reader on our classpath decodes. */
  public static byte[] heicHeader() {
    ByteBuffer b = ByteBuffer.allocate(32);
    b.putInt(24).put("ftypheic".getBytes(StandardCharsets.US_ASCII)).putInt(0)
        .put("mif1heic".getBytes(StandardCharsets.US_ASCII));
    b.putInt(8).put("meta".getBytes(StandardCharsets.US_ASCII));
    return b.array();
  }

  private static int indexOfMarker(byte[] d, int marker) {
    for (int i = 0; i < d.length - 1; i++) {
      if ((d[i] & 0xFF) == 0xFF && (d[i + 1] & 0xFF) == marker) {
        return i;
      }
    }
    throw new IllegalArgumentException("marker not found");
  }

  /**
   * Writes the bad-input corpus into {@code dir} and returns file name -> expected status code
   * (as in the images table). Every file is small; the "bomb" declares 50000 x 50000 pixels.
   */
  public static Map<String, String> writeCorpus(Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<String, byte[]> files = new LinkedHashMap<>();
    Map<String, String> expected = new LinkedHashMap<>();
    put(files, expected, "ok_rgb.jpg", jpeg(64, 48), "ok");
    put(files, expected, "ok_rgb.png", png(64, 48), "ok");
    put(files, expected, "gray.jpg", grayJpeg(40, 30, 128), "ok");
    put(files, expected, "gray.png", grayPng(40, 30, 77), "ok");
    put(files, expected, "alpha.png", alphaPng(40, 30, 10, 200, 30, 0), "ok");
    put(files, expected, "rgb16.png", rgb16Png(40, 30, 0xFFFF, 0x8080, 0), "ok");
    put(files, expected, "gray16.png", gray16Png(40, 30, 0x4000), "ok");
    put(files, expected, "cmyk.jpg", cmykJpeg(40, 30, 0, 255, 255, 0), "ok");
    put(files, expected, "exif_rot6.jpg", exifJpeg(60, 20, 6), "ok");
    put(files, expected, "empty.jpg", new byte[0], "decode_error");
    put(files, expected, "notes.txt", "just some text, not an image\n".getBytes(StandardCharsets.UTF_8), "decode_error");
    put(files, expected, "corrupt.jpg", corruptJpeg(64, 48), "decode_error");
    put(files, expected, "truncated.jpg", truncatedJpeg(64, 48), "decode_error");
    put(files, expected, "truncated.png", Arrays.copyOf(png(64, 48), 60), "decode_error");
    put(files, expected, "photo.heic", heicHeader(), "unsupported");
    put(files, expected, "bomb.png", pngHeaderOnly(50_000, 50_000), "too_large");
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      Files.write(dir.resolve(e.getKey()), e.getValue());
    }
    return expected;
  }

  private static void put(Map<String, byte[]> files, Map<String, String> expected, String name, byte[] data, String status) {
    files.put(name, data);
    expected.put(name, status);
  }
}
