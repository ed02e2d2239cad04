package io.sparkseg.core.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** Java pasting against Detectron2's own paste_masks_in_image (vectors made by models/tools/make_detectron2_vectors.py). */
class GridSampleMaskPasterTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void matchesDetectron2PasteMasksInImage() throws Exception {
    JsonNode cases;
    try (InputStream in = getClass().getResourceAsStream("/vectors/detectron2_paste_vectors.json")) {
      cases = JSON.readTree(in);
    }
    int n = 0;
    for (JsonNode c : cases) {
      int h = c.get("height").asInt();
      int w = c.get("width").asInt();
      float[] probs = JSON.convertValue(c.get("probs"), float[].class);
      JsonNode b = c.get("box");
      Rle rle = GridSampleMaskPaster.paste(probs, 0, 28, (float) b.get(0).asDouble(), (float) b.get(1).asDouble(),
          (float) b.get(2).asDouble(), (float) b.get(3).asDouble(), h, w, 0.5f).rle();
      int[] expected = JSON.convertValue(c.get("counts"), int[].class);
      assertEquals(h, rle.height());
      assertEquals(w, rle.width());
      assertArrayEquals(expected, rle.counts(), "case " + n + " box " + b);
      n++;
    }
    assertTrue(n >= 30, n + " cases");
  }

  @Test
  void keepsProbabilitiesAtTheThreshold() {
    int m = 2;
    float[] probs = {0.5f, 0.5f, 0.5f, 0.5f};
    // a 4x4 px box over a 2x2 map: the inner 2x2 pixels sample the map at exactly 0.5 (kept: >=); the box's
    // border pixels sample partly past the map's edge, where grid_sample's zero padding pulls them under 0.5,
    // and the window's extra pixel around the box samples further out still
    Rle rle = GridSampleMaskPaster.paste(probs, 0, m, 2, 2, 6, 6, 10, 10, 0.5f).rle();
    int ones = 0;
    for (int i = 1; i < rle.counts().length; i += 2) {
      ones += rle.counts()[i];
    }
    assertEquals(4, ones);
    assertArrayEquals(new int[] {33, 2, 8, 2, 55}, rle.counts());
  }
}
