package io.sparkseg.core.image;

import java.nio.charset.StandardCharsets;

/** Magic-number sniffing for image formats that have no ImageIO reader on our classpath. */
final class ImageFormats {
  private ImageFormats() {}

  /** The name of a recognised but undecodable image format, or null. */
  static String sniffUndecodable(byte[] d) {
    if (startsWith(d, 4, "ftyp")) {
      String brand = ascii(d, 8, 4);
      switch (brand) {
        case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1" -> { return "heif"; }
        case "avif", "avis" -> { return "avif"; }
        default -> { return null; }
      }
    }
    if (d.length >= 12 && d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 0x0C
        && startsWith(d, 4, "jP  ")) {
      return "jpeg2000";
    }
    if (d.length >= 4 && (d[0] & 0xFF) == 0xFF && (d[1] & 0xFF) == 0x4F
        && (d[2] & 0xFF) == 0xFF && (d[3] & 0xFF) == 0x51) {
      return "jpeg2000-codestream";
    }
    if (d.length >= 2 && (d[0] & 0xFF) == 0xFF && (d[1] & 0xFF) == 0x0A) {
      return "jpegxl";
    }
    if (d.length >= 12 && d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 0x0C
        && startsWith(d, 4, "JXL ")) {
      return "jpegxl";
    }
    if (startsWith(d, 0, "8BPS")) {
      return "psd";
    }
    if (d.length >= 4 && d[0] == 0 && d[1] == 0 && (d[2] == 1 || d[2] == 2) && d[3] == 0) {
      return d[2] == 1 ? "ico" : "cur";
    }
    if (startsWith(d, 0, "qoif")) {
      return "qoi";
    }
    if (startsWith(d, 0, "DDS ")) {
      return "dds";
    }
    if (startsWith(d, 0, "\u0089PNG") || startsWith(d, 0, "GIF8")) {
      return null; // decodable formats whose reader refused: a corrupt file, not unsupported
    }
    return null;
  }

  /** A short description of unrecognised content for error messages. */
  static String describe(byte[] d) {
    int n = Math.min(d.length, 8);
    StringBuilder sb = new StringBuilder(d.length + " bytes, starting");
    for (int i = 0; i < n; i++) {
      sb.append(String.format(" %02x", d[i] & 0xFF));
    }
    return sb.toString();
  }

  private static boolean startsWith(byte[] d, int offset, String s) {
    byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
    if (d.length < offset + b.length) {
      return false;
    }
    for (int i = 0; i < b.length; i++) {
      if (d[offset + i] != b[i]) {
        return false;
      }
    }
    return true;
  }

  private static String ascii(byte[] d, int offset, int n) {
    if (d.length < offset + n) {
      return "";
    }
    return new String(d, offset, n, StandardCharsets.ISO_8859_1);
  }
}
