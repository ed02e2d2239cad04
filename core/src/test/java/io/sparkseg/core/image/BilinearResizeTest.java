package io.sparkseg.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** Java resizing against torch.nn.functional.interpolate (vectors made by models/tools). */
class BilinearResizeTest {

  @Test
  void matchesTorchInterpolateBilinear() throws Exception {
    JsonNode cases;
    try (InputStream in = getClass().getResourceAsStream("/vectors/resize_vectors.json")) {
      cases = new ObjectMapper().readTree(in).get("cases");
    }
    for (JsonNode c : cases) {
      int h = c.get("h").asInt();
      int w = c.get("w").asInt();
      int oh = c.get("out_h").asInt();
      int ow = c.get("out_w").asInt();
      byte[] rgb = new byte[h * w * 3];
      for (int i = 0; i < rgb.length; i++) {
        rgb[i] = (byte) c.get("rgb").get(i).asInt();
      }
      // write into a larger padded plane to check the layout and that padding stays zero
      int ph = oh + 2;
      int pw = ow + 3;
      float[] out = new float[3 * ph * pw];
      BilinearResize.resizeInto(new RgbImage(w, h, rgb), oh, ow, out, 0, ph, pw);
      JsonNode chw = c.get("chw");
      for (int ch = 0; ch < 3; ch++) {
        for (int y = 0; y < ph; y++) {
          for (int x = 0; x < pw; x++) {
            float actual = out[ch * ph * pw + y * pw + x];
            float expected = (y < oh && x < ow) ? (float) chw.get(ch * oh * ow + y * ow + x).asDouble() : 0f;
            assertEquals(expected, actual, 2e-6, "pixel c=" + ch + " y=" + y + " x=" + x);
          }
        }
      }
    }
  }
}
