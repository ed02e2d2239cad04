package io.sparkseg.core.image;

import io.sparkseg.core.result.ImageStatus;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DirectColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes encoded image bytes (JPEG, PNG, GIF, BMP, TIFF, WebP via ImageIO and the TwelveMonkeys
 * plugins) to an upright 8-bit {@link RgbImage}, never throwing for bad input:
 *
 * <ul>
 *   <li>the header is read first and images over {@code maxPixels} are refused before any pixel
 *       data is decoded ({@link ImageStatus#TOO_LARGE}), which defuses decompression bombs;
 *   <li>zero-byte, non-image, corrupt and truncated data give {@link ImageStatus#DECODE_ERROR};
 *   <li>an {@link Error} (an OutOfMemoryError decoding a large image) is thrown, not reported: it
 *       is the machine's failure, and the image may decode where more memory is free;
 *   <li>recognised formats no reader can decode (HEIC/AVIF, JPEG 2000, PSD, JPEG XL, ...) give
 *       {@link ImageStatus#UNSUPPORTED};
 *   <li>grayscale is replicated to three channels, 16-bit samples are scaled to 8 bits, alpha is
 *       dropped (as PIL's {@code convert("RGB")} does), palettes and CMYK/YCCK JPEGs are converted
 *       to RGB, and the EXIF orientation tag is applied.
 * </ul>
 *
 * Instances are immutable and thread-safe.
 */
public final class ImageDecoder {
  /** Default pixel limit: 100 megapixels (about 300 MB as RGB). */
  public static final long DEFAULT_MAX_PIXELS = 100_000_000L;

  /**
   * The highest pixel limit: a decoded image is one interleaved RGB byte array, and no Java array
   * holds more than {@code Integer.MAX_VALUE - 8} elements (the JDK's soft maximum array length).
   */
  public static final long MAX_PIXELS_LIMIT = (Integer.MAX_VALUE - 8) / 3;

  static {
    // Executors load user jars through a child class loader: make sure the TwelveMonkeys
    // readers it carries are registered (ordered ahead of the JDK's own JPEG reader).
    ImageIO.setUseCache(false);
    ImageIO.scanForPlugins();
  }

  private final long maxPixels;

  public ImageDecoder(long maxPixels) {
    if (maxPixels <= 0 || maxPixels > MAX_PIXELS_LIMIT) {
      throw new IllegalArgumentException(
          "max pixels must be in [1, " + MAX_PIXELS_LIMIT + "] (3 bytes a pixel in one array), got " + maxPixels);
    }
    this.maxPixels = maxPixels;
  }

  public ImageDecoder() {
    this(DEFAULT_MAX_PIXELS);
  }

  /**
   * Decodes {@code data}; the status says whether it worked.
   *
   * @throws Error (OutOfMemoryError, ...) when the machine, not the image, failed
   */
  public DecodeResult decode(byte[] data) {
    if (data == null || data.length == 0) {
      return DecodeResult.failed(ImageStatus.DECODE_ERROR, "empty file (0 bytes)", -1, -1, null);
    }
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        String known = ImageFormats.sniffUndecodable(data);
        if (known != null) {
          return DecodeResult.failed(
              ImageStatus.UNSUPPORTED, "unsupported image format: " + known, -1, -1, known);
        }
        return DecodeResult.failed(
            ImageStatus.DECODE_ERROR, "not a recognised image (" + ImageFormats.describe(data) + ")",
            -1, -1, null);
      }
      ImageReader reader = readers.next();
      try {
        return decodeWith(reader, in, data);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      throwWrappedError(e);
      return DecodeResult.failed(ImageStatus.DECODE_ERROR, describe(e), -1, -1, null);
    }
  }

  private DecodeResult decodeWith(ImageReader reader, ImageInputStream in, byte[] data) {
    String format = formatName(reader);
    reader.setInput(in, true, true);
    int width;
    int height;
    try {
      width = reader.getWidth(0);
      height = reader.getHeight(0);
    } catch (IOException | RuntimeException e) {
      return DecodeResult.failed(ImageStatus.DECODE_ERROR, "unreadable header: " + describe(e), -1, -1, format);
    }
    int orientation = ExifOrientation.read(data);
    int shownW = ExifOrientation.swapsDimensions(orientation) ? height : width;
    int shownH = ExifOrientation.swapsDimensions(orientation) ? width : height;
    if (width <= 0 || height <= 0) {
      return DecodeResult.failed(
          ImageStatus.DECODE_ERROR, "invalid dimensions " + width + "x" + height, -1, -1, format);
    }
    long pixels = (long) width * height;
    if (pixels > maxPixels) {
      return DecodeResult.failed(
          ImageStatus.TOO_LARGE,
          width + "x" + height + " = " + pixels + " pixels exceeds the limit of " + maxPixels,
          shownW, shownH, format);
    }
    List<String> warnings = new ArrayList<>();
    reader.addIIOReadWarningListener(new IIOReadWarningListener() {
      @Override
      public void warningOccurred(ImageReader source, String warning) {
        warnings.add(warning);
      }
    });
    BufferedImage img;
    try {
      ImageReadParam param = reader.getDefaultReadParam();
      img = reader.read(0, param);
    } catch (IOException | RuntimeException e) {
      throwWrappedError(e);
      ImageStatus status = looksUnsupported(e) ? ImageStatus.UNSUPPORTED : ImageStatus.DECODE_ERROR;
      return DecodeResult.failed(status, describe(e), shownW, shownH, format);
    }
    for (String w : warnings) {
      String lw = w.toLowerCase(Locale.ROOT);
      if (lw.contains("premature end") || lw.contains("truncated")) {
        return DecodeResult.failed(ImageStatus.DECODE_ERROR, "truncated image: " + w, shownW, shownH, format);
      }
    }
    RgbImage rgb = toRgb(img);
    return DecodeResult.ok(ExifOrientation.apply(rgb, orientation), format);
  }

  private static String formatName(ImageReader reader) {
    try {
      String n = reader.getFormatName();
      return n == null ? null : n.toLowerCase(Locale.ROOT);
    } catch (IOException e) {
      return null;
    }
  }

  /** A reader that wraps an Error (OutOfMemoryError) in an exception has not found a bad image. */
  private static void throwWrappedError(Throwable e) {
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      if (c instanceof Error err) {
        throw err;
      }
    }
  }

  private static boolean looksUnsupported(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnsupportedOperationException) {
        return true;
      }
      String m = t.getMessage();
      if (m != null && m.toLowerCase(Locale.ROOT).contains("unsupported")) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  /** Converts any decoded {@link BufferedImage} to interleaved 8-bit RGB, dropping alpha. */
  static RgbImage toRgb(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    byte[] out = new byte[w * h * 3];
    ColorModel cm = img.getColorModel();
    Raster raster = img.getRaster();
    ColorSpace cs = cm.getColorSpace();
    int nc = cm.getNumColorComponents();
    int dataType = raster.getDataBuffer().getDataType();
    boolean integral = dataType == DataBuffer.TYPE_BYTE || dataType == DataBuffer.TYPE_USHORT
        || dataType == DataBuffer.TYPE_INT || dataType == DataBuffer.TYPE_SHORT;
    boolean plain = (cm instanceof ComponentColorModel || cm instanceof DirectColorModel) && integral;
    if (plain && nc == 1 && cs.getType() == ColorSpace.TYPE_GRAY) {
      // gray: replicate the stored value (no linear-gray -> sRGB gamma change, like PIL)
      int bits = cm.getComponentSize(0);
      int[] row = new int[w];
      for (int y = 0; y < h; y++) {
        raster.getSamples(0, y, w, 1, 0, row);
        int o = y * w * 3;
        for (int x = 0; x < w; x++) {
          byte v = (byte) scale(row[x], bits);
          out[o++] = v;
          out[o++] = v;
          out[o++] = v;
        }
      }
    } else if (plain && nc == 3 && cs.isCS_sRGB() && copyInterleavedBytes(img, out)) {
      // 8-bit interleaved samples (what JPEG/PNG decoders produce) copied straight from the buffer
    } else if (plain && nc == 3 && cs.isCS_sRGB()) {
      int[][] rows = new int[3][w];
      int[] bits = {cm.getComponentSize(0), cm.getComponentSize(1), cm.getComponentSize(2)};
      for (int y = 0; y < h; y++) {
        for (int b = 0; b < 3; b++) {
          raster.getSamples(0, y, w, 1, b, rows[b]);
        }
        int o = y * w * 3;
        for (int x = 0; x < w; x++) {
          out[o++] = (byte) scale(rows[0][x], bits[0]);
          out[o++] = (byte) scale(rows[1][x], bits[1]);
          out[o++] = (byte) scale(rows[2][x], bits[2]);
        }
      }
    } else {
      // palettes, other colour spaces, float data: let the colour model convert to sRGB
      int[] argb = new int[w];
      for (int y = 0; y < h; y++) {
        img.getRGB(0, y, w, 1, argb, 0, w);
        int o = y * w * 3;
        for (int x = 0; x < w; x++) {
          int p = argb[x];
          out[o++] = (byte) (p >> 16);
          out[o++] = (byte) (p >> 8);
          out[o++] = (byte) p;
        }
      }
    }
    return new RgbImage(w, h, out);
  }

  /**
   * Copies 8-bit pixel-interleaved 3-channel samples (any band order, e.g. BGR) into {@code out}
   * as RGB; false when the raster is laid out otherwise (the generic path then reads it).
   */
  private static boolean copyInterleavedBytes(BufferedImage img, byte[] out) {
    Raster raster = img.getRaster();
    if (!(raster.getSampleModel() instanceof PixelInterleavedSampleModel sm)
        || !(raster.getDataBuffer() instanceof DataBufferByte db) || db.getNumBanks() != 1
        || sm.getNumBands() != 3 || sm.getPixelStride() < 3 || img.getColorModel().hasAlpha()) {
      return false;
    }
    for (int b = 0; b < 3; b++) {
      if (sm.getSampleSize(b) != 8) {
        return false;
      }
    }
    int w = img.getWidth();
    int h = img.getHeight();
    int[] bands = sm.getBandOffsets();
    int stride = sm.getScanlineStride();
    int step = sm.getPixelStride();
    byte[] data = db.getData();
    int base = db.getOffset() - raster.getSampleModelTranslateY() * stride - raster.getSampleModelTranslateX() * step;
    int r = bands[0];
    int g = bands[1];
    int bl = bands[2];
    int o = 0;
    for (int y = 0; y < h; y++) {
      int i = base + y * stride;
      for (int x = 0; x < w; x++, i += step) {
        out[o++] = data[i + r];
        out[o++] = data[i + g];
        out[o++] = data[i + bl];
      }
    }
    return true;
  }

  private static int scale(int v, int bits) {
    if (bits == 8) {
      return v & 0xFF;
    }
    long max = (1L << bits) - 1;
    long u = v & 0xFFFFFFFFL;
    return (int) ((u * 255 + max / 2) / max);
  }
}
