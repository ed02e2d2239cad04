package io.sparkseg.core.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** Java pasting against torchvision's own paste_masks_in_image (vectors made by models/tools). */
class MaskPasterTest {

  @Test
  void matchesTorchvisionPasteMasksInImage() throws Exception {
    JsonNode cases;
    try (InputStream in = getClass().getResourceAsStream("/vectors/paste_vectors.json")) {
      cases = new ObjectMapper().readTree(in).get("cases");
    }
    int n = 0;
    for (JsonNode c : cases) {
      int h = c.get("h").asInt();
      int w = c.get("w").asInt();
      int m = c.get("m").asInt();
      float[] probs = new float[m * m];
      for (int i = 0; i < probs.length; i++) {
        probs[i] = (float) c.get("probs").get(i).asDouble();
      }
      JsonNode b = c.get("box");
      PastedMask pasted = MaskPaster.paste(probs, 0, m, (float) b.get(0).asDouble(), (float) b.get(1).asDouble(),
          (float) b.get(2).asDouble(), (float) b.get(3).asDouble(), h, w, 0.5f);
      Rle rle = pasted.rle();
      int[] expected = new int[c.get("counts").size()];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = c.get("counts").get(i).asInt();
      }
      assertEquals(h, rle.height());
      assertEquals(w, rle.width());
      assertArrayEquals(expected, rle.counts(), "case " + n + " box " + b);
      assertEquals(c.get("foreground_mean").asDouble(), pasted.foregroundMean(), 1e-5, "case " + n + " foreground mean");
      n++;
    }
    assertEquals(60, n);
  }

  @Test
  void probabilitiesAtTheOffsetAreUsedAndOthersIgnored() {
    int m = 4;
    float[] probs = new float[2 * m * m];
    java.util.Arrays.fill(probs, m * m, 2 * m * m, 1f); // second mask all ones
    PastedMask firstPasted = MaskPaster.paste(probs, 0, m, 2, 2, 6, 6, 10, 10, 0.5f);
    Rle first = firstPasted.rle();
    Rle second = MaskPaster.paste(probs, m * m, m, 2, 2, 6, 6, 10, 10, 0.5f).rle();
    assertArrayEquals(new int[] {100}, first.counts());
    assertEquals(0f, firstPasted.foregroundMean(), "an empty mask has no foreground to average");
    int ones = 0;
    int[] counts = second.counts();
    for (int i = 1; i < counts.length; i += 2) {
      ones += counts[i];
    }
    // a full map fills the box (4x4 px) up to the blurred edge of the padded border
    assertEquals(true, ones >= 16 && ones <= 36, "foreground pixels " + ones);
  }
}
