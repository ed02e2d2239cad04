package io.sparkseg.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.result.ImageStatus;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDecoderTest {
  private final ImageDecoder decoder = new ImageDecoder();

  private static int[] px(RgbImage img, int x, int y) {
    int i = (y * img.width() + x) * 3;
    byte[] b = img.rgb();
    return new int[] {b[i] & 0xFF, b[i + 1] & 0xFF, b[i + 2] & 0xFF};
  }

  private static void assertNear(int[] expected, int[] actual, int tol) {
    for (int c = 0; c < 3; c++) {
      assertTrue(Math.abs(expected[c] - actual[c]) <= tol,
          "channel " + c + ": expected ~" + expected[c] + " got " + actual[c]);
    }
  }

  @Test
  void decodesRgbJpegAndPng() {
    for (byte[] data : new byte[][] {TestImages.jpeg(64, 48), TestImages.png(64, 48)}) {
      DecodeResult r = decoder.decode(data);
      assertEquals(ImageStatus.OK, r.status(), r.message());
      assertEquals(64, r.image().width());
      assertEquals(48, r.image().height());
      assertNear(new int[] {255, 0, 0}, px(r.image(), 5, 5), 12);
      assertNear(new int[] {0, 0, 255}, px(r.image(), 60, 40), 12);
    }
  }

  @Test
  void interleavedByteLayoutsMatchTheColourModelIncludingSubimages() {
    java.util.Random rnd = new java.util.Random(7);
    for (int type : new int[] {BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_INT_RGB}) {
      BufferedImage img = new BufferedImage(37, 23, type);
      for (int y = 0; y < 23; y++) {
        for (int x = 0; x < 37; x++) {
          img.setRGB(x, y, rnd.nextInt(1 << 24));
        }
      }
      // a subimage's raster is translated inside its parent's buffer
      for (BufferedImage im : new BufferedImage[] {img, img.getSubimage(5, 3, 20, 15)}) {
        RgbImage rgb = ImageDecoder.toRgb(im);
        for (int y = 0; y < im.getHeight(); y++) {
          for (int x = 0; x < im.getWidth(); x++) {
            int p = im.getRGB(x, y);
            assertNear(new int[] {(p >> 16) & 0xFF, (p >> 8) & 0xFF, p & 0xFF}, px(rgb, x, y), 0);
          }
        }
      }
    }
  }

  @Test
  void grayscaleIsReplicatedWithoutGammaShift() {
    DecodeResult png = decoder.decode(TestImages.grayPng(10, 10, 77));
    assertEquals(ImageStatus.OK, png.status());
    assertNear(new int[] {77, 77, 77}, px(png.image(), 3, 3), 0);
    DecodeResult jpg = decoder.decode(TestImages.grayJpeg(16, 16, 128));
    assertEquals(ImageStatus.OK, jpg.status(), jpg.message());
    assertNear(new int[] {128, 128, 128}, px(jpg.image(), 3, 3), 2);
  }

  @Test
  void alphaIsDropped() {
    DecodeResult r = decoder.decode(TestImages.alphaPng(8, 8, 10, 200, 30, 0));
    assertEquals(ImageStatus.OK, r.status());
    assertNear(new int[] {10, 200, 30}, px(r.image(), 1, 1), 0);
  }

  @Test
  void sixteenBitIsScaledTo8Bit() {
    DecodeResult rgb = decoder.decode(TestImages.rgb16Png(8, 8, 0xFFFF, 0x8080, 0));
    assertEquals(ImageStatus.OK, rgb.status(), rgb.message());
    assertNear(new int[] {255, 128, 0}, px(rgb.image(), 2, 2), 0);
    DecodeResult gray = decoder.decode(TestImages.gray16Png(8, 8, 0x4000));
    assertEquals(ImageStatus.OK, gray.status(), gray.message());
    assertNear(new int[] {64, 64, 64}, px(gray.image(), 2, 2), 0);
  }

  @Test
  void cmykJpegIsConvertedToRgb() {
    // magenta + yellow ink, no cyan, no black: red
    DecodeResult r = decoder.decode(TestImages.cmykJpeg(16, 16, 0, 255, 255, 0));
    assertEquals(ImageStatus.OK, r.status(), r.message());
    int[] p = px(r.image(), 8, 8);
    assertTrue(p[0] > 180 && p[1] < 100 && p[2] < 100, "expected red, got " + p[0] + "," + p[1] + "," + p[2]);
  }

  @Test
  void exifOrientationIsApplied() {
    // stored 60x20: left half red, right half blue. Orientation 6 = rotate 90 clockwise:
    // shown 20x60 with the red half on top.
    DecodeResult r = decoder.decode(TestImages.exifJpeg(60, 20, 6));
    assertEquals(ImageStatus.OK, r.status(), r.message());
    assertEquals(20, r.width());
    assertEquals(60, r.height());
    assertNear(new int[] {255, 0, 0}, px(r.image(), 10, 5), 12);
    assertNear(new int[] {0, 0, 255}, px(r.image(), 10, 55), 12);
    // orientation 8 = rotate counter-clockwise: the red half ends at the bottom
    DecodeResult r8 = decoder.decode(TestImages.exifJpeg(60, 20, 8));
    assertNear(new int[] {0, 0, 255}, px(r8.image(), 10, 5), 12);
    assertNear(new int[] {255, 0, 0}, px(r8.image(), 10, 55), 12);
    // orientation 3 = 180: red on the right
    DecodeResult r3 = decoder.decode(TestImages.exifJpeg(60, 20, 3));
    assertEquals(60, r3.width());
    assertNear(new int[] {255, 0, 0}, px(r3.image(), 55, 10), 12);
  }

  @Test
  void orientationTransformsMapCornersCorrectly() {
    // 3x2 image with distinct pixel values 0..5 (row-major)
    byte[] rgb = new byte[18];
    for (int i = 0; i < 6; i++) {
      rgb[3 * i] = (byte) i;
    }
    RgbImage src = new RgbImage(3, 2, rgb);
    // expected layouts of the red channel after each orientation (rows of shown image)
    int[][][] expected = {
        null,
        {{0, 1, 2}, {3, 4, 5}},
        {{2, 1, 0}, {5, 4, 3}},
        {{5, 4, 3}, {2, 1, 0}},
        {{3, 4, 5}, {0, 1, 2}},
        {{0, 3}, {1, 4}, {2, 5}},
        {{3, 0}, {4, 1}, {5, 2}},
        {{5, 2}, {4, 1}, {3, 0}},
        {{2, 5}, {1, 4}, {0, 3}},
    };
    for (int o = 1; o <= 8; o++) {
      RgbImage out = ExifOrientation.apply(src, o);
      int[][] e = expected[o];
      assertEquals(e.length, out.height(), "height for orientation " + o);
      assertEquals(e[0].length, out.width(), "width for orientation " + o);
      for (int y = 0; y < out.height(); y++) {
        for (int x = 0; x < out.width(); x++) {
          assertEquals(e[y][x], out.rgb()[(y * out.width() + x) * 3], "orientation " + o + " at " + x + "," + y);
        }
      }
    }
  }

  @Test
  void refusesHugeImagesFromTheHeaderAlone() {
    DecodeResult r = decoder.decode(TestImages.pngHeaderOnly(50_000, 50_000));
    assertEquals(ImageStatus.TOO_LARGE, r.status());
    assertEquals(50_000, r.width());
    assertTrue(r.message().contains("2500000000"), r.message());
    DecodeResult small = new ImageDecoder(100).decode(TestImages.jpeg(20, 20));
    assertEquals(ImageStatus.TOO_LARGE, small.status());
  }

  @Test
  void aPixelLimitOverWhatOneRgbArrayHoldsIsRefused() {
    // 800 M pixels is 2.4 GB of RGB: w * h * 3 overflowed an int and no Java array holds it
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ImageDecoder(800_000_000L));
    assertTrue(e.getMessage().contains("715827879"), e.getMessage());
    assertEquals(715_827_879L, ImageDecoder.MAX_PIXELS_LIMIT);
    assertEquals(ImageStatus.OK, new ImageDecoder(ImageDecoder.MAX_PIXELS_LIMIT).decode(TestImages.jpeg(8, 8)).status());
  }

  @Test
  void anOutOfMemoryErrorDecodingIsThrownNotReportedAsADecodeError(@TempDir Path dir) throws Exception {
    // 5000 x 5000 black pixels: a small PNG, under the pixel limit, that needs about 150 MB to decode
    Path png = dir.resolve("large.png");
    Files.write(png, TestImages.blackPng(5000, 5000));
    String roomy = decodeInChildJvm(png, "-Xmx400m");
    assertTrue(roomy.startsWith("status ok"), "the image is fine where memory suffices: " + roomy);
    String tight = decodeInChildJvm(png, "-Xmx32m");
    assertTrue(tight.contains("java.lang.OutOfMemoryError"), "the Error reaches the caller: " + tight);
    assertFalse(tight.contains("status "), "no status for an image the machine could not decode: " + tight);
  }

  /** What {@link DecodeMain} prints for {@code file} in a JVM with {@code heap}, then its exit code. */
  private static String decodeInChildJvm(Path file, String heap) throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(javaBin, heap, "-cp", System.getProperty("java.class.path"),
        DecodeMain.class.getName(), file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM ended: " + out);
    return out + "(exit " + p.exitValue() + ")";
  }

  @Test
  void badInputsAreReportedNotThrown() {
    assertEquals(ImageStatus.DECODE_ERROR, decoder.decode(new byte[0]).status());
    assertEquals(ImageStatus.DECODE_ERROR, decoder.decode(null).status());
    assertEquals(ImageStatus.DECODE_ERROR, decoder.decode("hello world".getBytes()).status());
    DecodeResult corrupt = decoder.decode(TestImages.corruptJpeg(64, 48));
    assertEquals(ImageStatus.DECODE_ERROR, corrupt.status(), String.valueOf(corrupt.message()));
    DecodeResult truncated = decoder.decode(TestImages.truncatedJpeg(64, 48));
    assertEquals(ImageStatus.DECODE_ERROR, truncated.status(), String.valueOf(truncated.message()));
    assertEquals(ImageStatus.UNSUPPORTED, decoder.decode(TestImages.heicHeader()).status());
  }

  @Test
  void generatedCorpusGivesExpectedStatuses(@TempDir Path dir) throws Exception {
    Map<String, String> expected = TestImages.writeCorpus(dir);
    for (Map.Entry<String, String> e : expected.entrySet()) {
      DecodeResult r = decoder.decode(Files.readAllBytes(dir.resolve(e.getKey())));
      assertNotNull(r);
      assertEquals(e.getValue(), r.status().code(), e.getKey() + ": " + r.message());
    }
  }
}
