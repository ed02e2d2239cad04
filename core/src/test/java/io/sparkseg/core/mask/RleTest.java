package io.sparkseg.core.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.core.testing.CocoVectors;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RLE encode/decode/string/area/bbox/merge/IoU/polygons against pycocotools' mask_vectors.json. */
class RleTest {
  private static JsonNode vectors;

  @BeforeAll
  static void load() throws IOException {
    vectors = new ObjectMapper().readTree(CocoVectors.file("mask_vectors.json").toFile());
  }

  private static Rle rleOf(JsonNode m) {
    return Rle.fromCompressedString(m.get("h").asInt(), m.get("w").asInt(), m.get("counts").asText());
  }

  private static double[] doubles(JsonNode arr) {
    double[] d = new double[arr.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = arr.get(i).asDouble();
    }
    return d;
  }

  private static int[] ints(JsonNode arr) {
    int[] d = new int[arr.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = arr.get(i).asInt();
    }
    return d;
  }

  @Test
  void masksMatchPycocotools() {
    int n = 0;
    for (JsonNode m : vectors.get("masks")) {
      String name = m.get("name").asText();
      int h = m.get("h").asInt();
      int w = m.get("w").asInt();
      String col = m.get("colmajor").asText();
      byte[] colBytes = new byte[col.length()];
      for (int i = 0; i < colBytes.length; i++) {
        colBytes[i] = (byte) (col.charAt(i) - '0');
      }
      byte[] rowBytes = new byte[h * w];
      for (int y = 0; y < h; y++) {
        String r = m.get("rows").get(y).asText();
        for (int x = 0; x < w; x++) {
          rowBytes[y * w + x] = (byte) (r.charAt(x) - '0');
        }
      }
      Rle enc = Rle.encode(h, w, colBytes);
      assertArrayEquals(ints(m.get("counts_uncompressed")), enc.counts(), name);
      assertEquals(enc, Rle.encodeRowMajor(h, w, rowBytes), name);
      assertEquals(m.get("counts").asText(), enc.toCompressedString(), name);
      Rle parsed = rleOf(m);
      assertEquals(enc, parsed, name);
      assertArrayEquals(colBytes, parsed.decode(), name);
      assertArrayEquals(rowBytes, parsed.decodeRowMajor(), name);
      assertEquals(m.get("area").asLong(), parsed.area(), name);
      assertArrayEquals(doubles(m.get("bbox")), parsed.toBbox(), name);
      n++;
    }
    assertEquals(65, n);
  }

  @Test
  void maskIouMatchesPycocotools() {
    JsonNode masks = vectors.get("masks");
    int n = 0;
    for (JsonNode e : vectors.get("mask_iou")) {
      Rle dt = rleOf(masks.get(e.get("dt").asInt()));
      Rle gt = rleOf(masks.get(e.get("gt").asInt()));
      boolean crowd = e.get("gt_iscrowd").asInt() != 0;
      assertEquals(e.get("iou").asDouble(), MaskIou.iou(dt, gt, crowd), 0.0, e.toString());
      double[][] mat = MaskIou.matrix(List.of(dt), List.of(gt), new boolean[] {crowd});
      assertEquals(e.get("iou").asDouble(), mat[0][0], 0.0, e.toString());
      n++;
    }
    assertEquals(264, n);
  }

  @Test
  void boxIouMatchesPycocotools() {
    for (JsonNode e : vectors.get("box_iou")) {
      double iou = BoxIou.iou(doubles(e.get("dt")), doubles(e.get("gt")), e.get("gt_iscrowd").asInt() != 0);
      assertEquals(e.get("iou").asDouble(), iou, 0.0, e.toString());
    }
    assertTrue(vectors.get("box_iou").size() > 0);
  }

  @Test
  void polygonsMatchPycocotools() {
    for (JsonNode e : vectors.get("polygons")) {
      String name = e.get("name").asText();
      int h = e.get("h").asInt();
      int w = e.get("w").asInt();
      List<double[]> polys = new ArrayList<>();
      for (JsonNode p : e.get("polygons")) {
        polys.add(doubles(p));
      }
      List<Rle> parts = Polygons.toRles(polys, h, w);
      assertEquals(e.get("parts").size(), parts.size(), name);
      for (int i = 0; i < parts.size(); i++) {
        assertEquals(e.get("parts").get(i).get("counts").asText(), parts.get(i).toCompressedString(), name + " part " + i);
        assertEquals(e.get("parts").get(i).get("area").asLong(), parts.get(i).area(), name + " part " + i);
      }
      Rle merged = Polygons.toMergedRle(polys, h, w);
      JsonNode mg = e.get("merged");
      assertEquals(mg.get("counts").asText(), merged.toCompressedString(), name);
      assertEquals(mg.get("area").asLong(), merged.area(), name);
      assertArrayEquals(doubles(mg.get("bbox")), merged.toBbox(), name);
    }
  }

  @Test
  void boxesMatchPycocotools() {
    for (JsonNode e : vectors.get("boxes")) {
      Rle r = Boxes.toRle(doubles(e.get("bbox")), e.get("h").asInt(), e.get("w").asInt());
      assertEquals(e.get("counts").asText(), r.toCompressedString(), e.toString());
      assertEquals(e.get("area").asLong(), r.area(), e.toString());
    }
  }

  @Test
  void mergeUnionAndIntersection() {
    // 2x3 masks, column-major
    Rle a = Rle.encode(2, 3, new byte[] {1, 1, 0, 0, 1, 0});
    Rle b = Rle.encode(2, 3, new byte[] {0, 1, 1, 0, 1, 1});
    assertArrayEquals(new byte[] {1, 1, 1, 0, 1, 1}, Rle.union(List.of(a, b)).decode());
    assertArrayEquals(new byte[] {0, 1, 0, 0, 1, 0}, Rle.intersection(List.of(a, b)).decode());
    assertEquals(a, Rle.union(List.of(a)));
    assertEquals(0, Rle.union(List.of()).height());
    Rle other = Rle.empty(3, 2);
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Rle.union(List.of(a, other)));
    assertTrue(ex.getMessage().contains("different sizes"), ex.getMessage());
  }

  @Test
  void largeRunsRoundTrip() {
    Rle r = new Rle(5000, 4000, new int[] {7_000_000, 123_456, 12_876_544});
    assertEquals(r, Rle.fromCompressedString(5000, 4000, r.toCompressedString()));
    assertEquals(123_456, r.area());
  }

  @Test
  void malformedInputIsRejectedWithClearMessages() {
    assertMessage("invalid character", () -> Rle.fromCompressedString(2, 2, "1 "));
    assertMessage("truncated", () -> Rle.fromCompressedString(10, 10, "Q"));
    assertMessage("sum to 3 pixels", () -> Rle.fromCompressedString(2, 2, "12"));
    assertMessage("negative length", () -> new Rle(2, 2, new int[] {5, -1}));
    assertMessage("must not be negative", () -> new Rle(-1, 2, new int[0]));
    assertMessage("null", () -> Rle.fromCompressedString(1, 1, null));
    assertMessage("does not match the size", () -> Rle.encode(2, 2, new byte[3]));
    assertMessage("mask sizes differ", () -> MaskIou.iou(Rle.empty(2, 2), Rle.empty(2, 3), false));
    assertMessage("at least 3 points", () -> Polygons.toRles(List.of(new double[] {1, 2, 3, 4}), 5, 5));
    assertMessage("empty list", () -> Polygons.toRles(List.of(), 5, 5));
  }

  private static void assertMessage(String part, org.junit.jupiter.api.function.Executable ex) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ex);
    assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should contain '" + part + "'");
  }

  @Test
  void aCompressedRleIsDecodedWhenFirstUsed() throws Exception {
    Rle eager = Rle.fromCompressedString(8, 10, "03]2");
    Rle lazy = Rle.ofCompressed(8, 10, "03]2");
    // serialised before it is decoded, it travels as the string and decodes on the other side
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
      o.writeObject(lazy);
    }
    Rle copy;
    try (ObjectInputStream i = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (Rle) i.readObject();
    }
    for (Rle r : new Rle[] {lazy, copy}) {
      assertEquals(eager, r);
      assertEquals(eager.area(), r.area());
      assertArrayEquals(eager.toBbox(), r.toBbox());
      assertEquals("03]2", r.toCompressedString());
    }
    Rle bad = Rle.ofCompressed(8, 10, "0 3");
    assertEquals(8, bad.height());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad::area);
    assertTrue(e.getMessage().contains("invalid character"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Rle.ofCompressed(8, 10, "03").toBbox());
    assertTrue(e.getMessage().contains("RLE runs sum to 3 pixels"), e.getMessage());
  }
}
