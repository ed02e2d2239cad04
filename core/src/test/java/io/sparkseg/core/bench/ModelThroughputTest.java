package io.sparkseg.core.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.model.ImageBatch;
import io.sparkseg.core.model.ResizeRule;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelThroughputTest {
  private static RgbImage blank(int w, int h) {
    return new RgbImage(w, h, new byte[w * h * 3]);
  }

  @Test
  void batchesHoldOnlyImagesOfOneCanvasInOrderOfAppearance() {
    ResizeRule rule = new ResizeRule(320, 512);
    // 400x300 and 420x310 both resize to a 320-high, 32-divisible 448-wide canvas; 300x400 is portrait
    List<RgbImage> images = List.of(blank(400, 300), blank(300, 400), blank(420, 310), blank(400, 300),
        blank(300, 400));
    List<ImageBatch> batches = ModelThroughput.sameCanvasBatches(images, rule, 32, 2);
    assertEquals(List.of(2, 1, 2), batches.stream().map(ImageBatch::size).toList());
    // a batch keeps its images' original sizes, in order: 400x300 and 420x310, then 400x300, then 300x400
    assertEquals(List.of(400, 420), List.of(batches.get(0).originalWidth(0), batches.get(0).originalWidth(1)));
    assertEquals(List.of(300, 310), List.of(batches.get(0).originalHeight(0), batches.get(0).originalHeight(1)));
    assertEquals(400, batches.get(1).originalWidth(0));
    assertEquals(300, batches.get(2).originalWidth(0));
    assertEquals(400, batches.get(2).originalHeight(0));
    for (ImageBatch b : batches) {
      for (int i = 0; i < b.size(); i++) {
        // the model pads the batch to a multiple of 32: no image gets more than its own canvas
        assertEquals((b.height() + 31) / 32, (b.resizedHeight(i) + 31) / 32);
        assertEquals((b.width() + 31) / 32, (b.resizedWidth(i) + 31) / 32);
      }
    }
  }
}
