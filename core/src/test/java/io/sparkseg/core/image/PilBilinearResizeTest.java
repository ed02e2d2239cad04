package io.sparkseg.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Java against PIL's Image.resize(BILINEAR) itself, bit for bit (vectors made by models/tools/make_detectron2_vectors.py). */
class PilBilinearResizeTest {

  @Test
  void matchesPillowBitForBit() throws Exception {
    JsonNode cases;
    try (InputStream in = getClass().getResourceAsStream("/vectors/pil_resize_vectors.json")) {
      cases = new ObjectMapper().readTree(in);
    }
    int n = 0;
    for (JsonNode c : cases) {
      RgbImage image = new RgbImage(c.get("width").asInt(), c.get("height").asInt(),
          Base64.getDecoder().decode(c.get("rgb").asText()));
      RgbImage out = PilBilinearResize.resize(image, c.get("out_width").asInt(), c.get("out_height").asInt());
      assertEquals(c.get("out_width").asInt(), out.width());
      assertEquals(c.get("out_height").asInt(), out.height());
      assertArrayEquals(Base64.getDecoder().decode(c.get("out").asText()), out.rgb(),
          "case " + n + ": " + c.get("width") + "x" + c.get("height") + " -> " + c.get("out_width") + "x"
              + c.get("out_height"));
      n++;
    }
    assertEquals(8, n);
  }
}
