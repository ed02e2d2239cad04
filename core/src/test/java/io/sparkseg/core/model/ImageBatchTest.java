package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sparkseg.core.image.RgbImage;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Batching images of different sizes, from originals or from images resized ahead of time. */
class ImageBatchTest {
  private static RgbImage random(int w, int h, long seed) {
    byte[] rgb = new byte[w * h * 3];
    new Random(seed).nextBytes(rgb);
    return new RgbImage(w, h, rgb);
  }

  @Test
  void imagesOfDifferentSizesShareOneZeroPaddedCanvas() {
    ResizeRule rule = new ResizeRule(320, 512);
    RgbImage wide = random(640, 480, 4);
    RgbImage tall = random(300, 500, 5);
    ImageBatch batch = ImageBatch.of(List.of(wide, tall), rule);
    float[] alone = ImageBatch.of(List.of(tall), rule).pixels();
    int h = batch.height();
    int w = batch.width();
    int th = batch.resizedHeight(1);
    int tw = batch.resizedWidth(1);
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          float v = batch.pixels()[((3 + c) * h + y) * w + x];
          float want = y < th && x < tw ? alone[(c * th + y) * tw + x] : 0f;
          assertEquals(want, v, "image 1, channel " + c + " at " + y + "," + x);
        }
      }
    }
  }

  @Test
  void resizingAheadGivesTheSameBatchAsResizingWhileBatching() {
    ResizeRule rule = new ResizeRule(320, 512);
    List<RgbImage> images = List.of(random(640, 480, 1), random(300, 500, 2), random(328, 442, 3));
    ImageBatch direct = ImageBatch.of(images, rule);
    ImageBatch ahead = ImageBatch.ofResized(images.stream().map(i -> ResizedImage.of(i, rule)).toList());
    assertEquals(direct.height(), ahead.height());
    assertEquals(direct.width(), ahead.width());
    assertArrayEquals(direct.sizes(), ahead.sizes());
    assertArrayEquals(direct.pixels(), ahead.pixels(), "same pixels, same zero padding");
    for (int i = 0; i < images.size(); i++) {
      assertEquals(images.get(i).width(), ahead.originalWidth(i), "results map back to the original size");
      assertEquals(images.get(i).height(), ahead.originalHeight(i));
      assertEquals(images.get(i).width(), direct.originalWidth(i));
      assertEquals(images.get(i).height(), direct.originalHeight(i));
    }
    int[] size = rule.resizedSize(328, 442);
    assertEquals(size[0], ahead.resizedHeight(2));
    assertEquals(size[1], ahead.resizedWidth(2));
  }

  @Test
  void anEmptyBatchIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> ImageBatch.ofResized(List.of()));
  }
}
