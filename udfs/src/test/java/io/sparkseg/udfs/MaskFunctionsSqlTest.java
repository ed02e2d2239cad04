package io.sparkseg.udfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.mask.Rle;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every function in SQL on a local session with {@code spark.sql.extensions} set, against the
 * pycocotools values in {@code shared/coco-vectors/mask_vectors.json}.
 */
class MaskFunctionsSqlTest {
  private static SparkSession spark;

  private static final String MASK = "named_struct('height', CAST(h AS INT), 'width', CAST(w AS INT), 'counts', counts)";

  @BeforeAll
  static void start() {
    spark = TestSpark.session(true);
    spark.read().option("multiLine", "true").json(TestSpark.vectors("mask_vectors.json").toString())
        .createOrReplaceTempView("vectors");
    spark.sql("CREATE OR REPLACE TEMP VIEW masks AS SELECT pos AS idx, m.* FROM vectors"
        + " LATERAL VIEW posexplode(masks) t AS pos, m").cache().count();
    spark.sql("CACHE TABLE masks");
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  private static List<Row> sql(String q) {
    return spark.sql(q).collectAsList();
  }

  @Test
  void areaAndBboxMatchPycocotools() {
    List<Row> rows = sql("SELECT name, area, bbox, seg_mask_area(" + MASK + ") AS a, seg_mask_bbox(" + MASK + ") AS b"
        + " FROM masks");
    assertEquals(65, rows.size());
    for (Row r : rows) {
      assertEquals(r.getLong(1), r.getLong(3), "area of " + r.getString(0));
      List<Double> bb = r.getList(2);
      Row b = r.getStruct(4);
      assertArrayEquals(new double[] {bb.get(0), bb.get(1), bb.get(2), bb.get(3)},
          new double[] {b.getDouble(0), b.getDouble(1), b.getDouble(2), b.getDouble(3)}, 0.0, "bbox of " + r.getString(0));
    }
    Row b = sql("SELECT seg_mask_bbox(" + MASK + ") FROM masks WHERE name = '45_ellipse_40x22'").get(0).getStruct(0);
    assertEquals(List.of("x", "y", "width", "height"), List.of(b.schema().fieldNames()));
  }

  @Test
  void uncompressedCountsAndCocoJsonShapeGiveTheSameMask() {
    List<Row> rows = sql("SELECT counts, seg_mask(CAST(h AS INT), CAST(w AS INT), counts_uncompressed).counts,"
        + " seg_mask(named_struct('size', array(h, w), 'counts', counts_uncompressed)).counts,"
        + " seg_mask_area(named_struct('counts', counts, 'size', array(h, w))) = area FROM masks");
    for (Row r : rows) {
      assertEquals(r.getString(0), r.getString(1));
      assertEquals(r.getString(0), r.getString(2));
      assertTrue(r.getBoolean(3));
    }
  }

  @Test
  @Tag("smoke")
  void maskIouMatchesPycocotoolsExactly() {
    List<Row> rows = sql("SELECT d.name, g.name, v.gt_iscrowd, v.iou,"
        + " seg_mask_iou(named_struct('height', CAST(d.h AS INT), 'width', CAST(d.w AS INT), 'counts', d.counts),"
        + "              named_struct('height', CAST(g.h AS INT), 'width', CAST(g.w AS INT), 'counts', g.counts),"
        + "              v.gt_iscrowd = 1) AS iou_sql,"
        + " seg_mask_iou(named_struct('height', CAST(d.h AS INT), 'width', CAST(d.w AS INT), 'counts', d.counts),"
        + "              named_struct('height', CAST(g.h AS INT), 'width', CAST(g.w AS INT), 'counts', g.counts),"
        + "              v.gt_iscrowd) AS iou_int"
        + " FROM (SELECT inline(mask_iou) FROM vectors) v JOIN masks d ON d.idx = v.dt JOIN masks g ON g.idx = v.gt");
    assertEquals(264, rows.size());
    for (Row r : rows) {
      String what = r.getString(0) + " vs " + r.getString(1) + " crowd=" + r.getLong(2);
      assertEquals(r.getDouble(3), r.getDouble(4), 0.0, what);
      assertEquals(r.getDouble(3), r.getDouble(5), 0.0, what);
    }
    // two-argument form: iscrowd defaults to false
    Row r = sql("SELECT seg_mask_iou(" + MASK + ", " + MASK + ") FROM masks WHERE name = '45_ellipse_40x22'").get(0);
    assertEquals(1.0, r.getDouble(0));
  }

  @Test
  void boxIouMatchesPycocotoolsExactly() {
    List<Row> rows = sql("SELECT dt, gt, gt_iscrowd, iou, seg_box_iou(dt, gt, gt_iscrowd = 1),"
        + " seg_box_iou(named_struct('x', dt[0], 'y', dt[1], 'width', dt[2], 'height', dt[3]),"
        + "             named_struct('x', gt[0], 'y', gt[1], 'width', gt[2], 'height', gt[3]), gt_iscrowd = 1)"
        + " FROM (SELECT inline(box_iou) FROM vectors)");
    assertEquals(52, rows.size());
    for (Row r : rows) {
      assertEquals(r.getDouble(3), r.getDouble(4), 0.0, r.toString());
      assertEquals(r.getDouble(3), r.getDouble(5), 0.0, r.toString());
    }
    assertEquals(0.5, sql("SELECT seg_box_iou(array(0, 0, 10, 10), array(0, 0, 10, 5))").get(0).getDouble(0));
  }

  @Test
  void polygonsAndBoxesRasteriseAsPycocotools() {
    List<Row> rows = sql("SELECT name, merged.counts, merged.area,"
        + " seg_polygons_to_mask(polygons, h, w).counts, seg_mask_area(seg_polygons_to_mask(polygons, h, w))"
        + " FROM (SELECT inline(polygons) FROM vectors)");
    assertEquals(16, rows.size());
    for (Row r : rows) {
      assertEquals(r.getString(1), r.getString(3), r.getString(0));
      assertEquals(r.getLong(2), r.getLong(4), r.getString(0));
    }
    rows = sql("SELECT counts, seg_box_to_mask(bbox, h, w).counts,"
        + " seg_box_to_mask(named_struct('x', bbox[0], 'y', bbox[1], 'width', bbox[2], 'height', bbox[3]), h, w).counts"
        + " FROM (SELECT inline(boxes) FROM vectors)");
    assertEquals(4, rows.size());
    for (Row r : rows) {
      assertEquals(r.getString(0), r.getString(1));
      assertEquals(r.getString(0), r.getString(2));
    }
  }

  @Test
  void unionAndIntersectionAreThePixelwiseOrAndAndOfPycocotoolsPixels() {
    // the expected masks come from pycocotools' decoded pixels (colmajor), not from sparkseg's Rle
    for (Row r : sql("SELECT CAST(h AS INT), CAST(w AS INT), counts, colmajor FROM masks")) {
      assertEquals(r.getString(3), pixels(r.getInt(0), r.getInt(1), r.getString(2)), "the test's decoder");
    }
    // every pair of same-size masks from the iou vectors, as scalar functions
    List<Row> rows = sql("SELECT CAST(d.h AS INT), CAST(d.w AS INT), d.colmajor, g.colmajor,"
        + " seg_mask_union(named_struct('height', CAST(d.h AS INT), 'width', CAST(d.w AS INT), 'counts', d.counts),"
        + "                named_struct('height', CAST(g.h AS INT), 'width', CAST(g.w AS INT), 'counts', g.counts)),"
        + " seg_mask_intersection(named_struct('height', CAST(d.h AS INT), 'width', CAST(d.w AS INT), 'counts', d.counts),"
        + "                named_struct('height', CAST(g.h AS INT), 'width', CAST(g.w AS INT), 'counts', g.counts))"
        + " FROM (SELECT DISTINCT dt, gt FROM (SELECT inline(mask_iou) FROM vectors)) v"
        + " JOIN masks d ON d.idx = v.dt JOIN masks g ON g.idx = v.gt");
    assertTrue(rows.size() > 50);
    for (Row r : rows) {
      int h = r.getInt(0);
      int w = r.getInt(1);
      List<String> both = List.of(r.getString(2), r.getString(3));
      assertEquals(combine(both, true), pixels(h, w, r.getStruct(4).getString(2)));
      assertEquals(combine(both, false), pixels(h, w, r.getStruct(5).getString(2)));
      assertEquals(h, r.getStruct(4).getInt(0));
      assertEquals(w, r.getStruct(4).getInt(1));
    }
    // aggregates over all masks of one size (64x80: zeros, ones, noise, pixels, lines)
    List<Row> agg = sql("SELECT CAST(h AS INT), CAST(w AS INT), collect_list(colmajor), seg_mask_union_agg(" + MASK + "),"
        + " seg_mask_intersection_agg(" + MASK + "), seg_mask_union(collect_list(" + MASK + ")),"
        + " count(*) FROM masks GROUP BY h, w");
    for (Row r : agg) {
      int h = r.getInt(0);
      int w = r.getInt(1);
      List<String> all = r.getList(2);
      assertEquals(combine(all, true), pixels(h, w, r.getStruct(3).getString(2)), h + "x" + w);
      assertEquals(combine(all, false), pixels(h, w, r.getStruct(4).getString(2)), h + "x" + w);
      assertEquals(combine(all, true), pixels(h, w, r.getStruct(5).getString(2)), h + "x" + w);
    }
    // the aggregate skips nulls and gives null for no masks
    Row n = sql("SELECT seg_mask_union_agg(CASE WHEN idx < 0 THEN " + MASK + " END),"
        + " seg_mask_area(seg_mask_union_agg(CASE WHEN name LIKE '%pixel%64x80' THEN " + MASK + " END)),"
        + " seg_mask_union(NULL, " + MASK.replace("counts)", "'1')").replace("CAST(h AS INT)", "1").replace("CAST(w AS INT)", "1")
        + ") FROM masks").get(0);
    assertNull(n.get(0));
    assertEquals(3L, n.getLong(1));
    assertEquals("1", n.getStruct(2).getString(2));
  }

  @Test
  void polygonsTraceOuterContoursThatRasteriseBackToTheFilledMask() {
    List<Row> rows = sql("SELECT name, CAST(h AS INT), CAST(w AS INT), counts, seg_mask_to_polygons(" + MASK + ")"
        + " FROM masks");
    int withHoles = 0;
    for (Row r : rows) {
      int h = r.getInt(1);
      int w = r.getInt(2);
      Rle m = Rle.fromCompressedString(h, w, r.getString(3));
      List<Object> polys = r.getList(4);
      Rle filled = ContoursTest.fillHoles(m);
      if (!filled.equals(m)) {
        withHoles++;
      }
      double area = 0;
      List<double[]> xy = new ArrayList<>();
      for (Object p : polys) {
        double[] a = SqlValues.doubles("test", "polygon", p);
        assertTrue(Contours.signedArea(a) > 0, r.getString(0));
        area += Contours.signedArea(a);
        xy.add(a);
      }
      assertTrue(area >= filled.area(), "polygon area of " + r.getString(0)); // nested components count twice
      if (m.area() == 0) {
        assertTrue(polys.isEmpty());
      } else {
        assertEquals(filled, io.sparkseg.core.mask.Polygons.toMergedRle(xy, h, w), "round trip of " + r.getString(0));
      }
    }
    assertTrue(withHoles > 0, "the vectors include masks with holes");
    // and the same round trip in SQL
    long bad = spark.sql("SELECT count(*) FROM masks WHERE area > 0 AND"
        + " seg_mask_area(seg_polygons_to_mask(seg_mask_to_polygons(" + MASK + "), h, w)) < area").first().getLong(0);
    assertEquals(0, bad);
    List<Object> square =
        sql("SELECT seg_mask_to_polygons(seg_polygons_to_mask(array(array(2, 2, 6, 2, 6, 6, 2, 6)), 10, 10))")
            .get(0).getList(0);
    assertEquals(1, square.size());
    assertArrayEquals(new double[] {2, 2, 6, 2, 6, 6, 2, 6}, SqlValues.doubles("test", "polygon", square.get(0)));
  }

  @Test
  void pointInMaskAgreesWithEveryPixel() {
    long mismatches = spark.sql("SELECT count(*) FROM (SELECT m.*, x, y FROM masks m"
        + " LATERAL VIEW explode(sequence(0, CAST(w AS INT) - 1)) tx AS x"
        + " LATERAL VIEW explode(sequence(0, CAST(h AS INT) - 1)) ty AS y"
        + " WHERE h * w <= 600 OR name IN ('45_ellipse_40x22', '60_pixel_bottomright_64x80'))"
        + " WHERE seg_point_in_mask(" + MASK + ", x + 0.5, y + 0.999) <> (substring(colmajor, x * h + y + 1, 1) = '1')"
        + "    OR seg_point_in_mask(" + MASK + ", x, y) <> (substring(colmajor, x * h + y + 1, 1) = '1')")
        .first().getLong(0);
    assertEquals(0, mismatches);
    Row r = sql("SELECT seg_point_in_mask(" + MASK + ", -0.5, 0), seg_point_in_mask(" + MASK + ", w, 0),"
        + " seg_point_in_mask(" + MASK + ", 0, h), seg_point_in_mask(" + MASK + ", 0, 0)"
        + " FROM masks WHERE name = '16_ones_8x8'").get(0);
    assertEquals(List.of(false, false, false, true), List.of(r.get(0), r.get(1), r.get(2), r.get(3)));
  }

  @Test
  void pngHasTheMaskPixels() throws Exception {
    List<Row> rows = sql("SELECT name, rows, seg_mask_to_png(" + MASK + "), seg_mask_to_png(" + MASK + ", '#ff800080')"
        + " FROM masks WHERE name IN ('45_ellipse_40x22', '42_checker_8x33', '61_pixel_bottomleft_64x80')");
    assertEquals(3, rows.size());
    for (Row r : rows) {
      List<String> expected = r.getList(1);
      BufferedImage bw = ImageIO.read(new ByteArrayInputStream((byte[]) r.get(2)));
      BufferedImage col = ImageIO.read(new ByteArrayInputStream((byte[]) r.get(3)));
      assertEquals(expected.size(), bw.getHeight());
      assertEquals(expected.get(0).length(), bw.getWidth());
      for (int y = 0; y < bw.getHeight(); y++) {
        for (int x = 0; x < bw.getWidth(); x++) {
          boolean on = expected.get(y).charAt(x) == '1';
          assertEquals(on ? 0xFFFFFFFF : 0xFF000000, bw.getRGB(x, y), r.getString(0) + " at " + x + "," + y);
          assertEquals(on ? 0x80FF8000 : 0, col.getRGB(x, y) & (on ? 0xFFFFFFFF : 0xFF000000));
        }
      }
    }
  }

  @Test
  void oksFollowsTheCocoFormula() {
    // identical keypoints: 1; one keypoint 3 px off with area 100 and sigma 0.1
    Row r = sql("SELECT"
        + " seg_oks(array(named_struct('x', 1.0, 'y', 2.0, 'score', 2.0)), array(named_struct('x', 1.0, 'y', 2.0, 'score', 0.3)), 100, array(0.1)),"
        + " seg_oks(array(1, 2, 2, 5, 5, 1), array(4, 2, 0.9, 5, 5, 0.1), 100, array(0.1, 0.2)),"
        + " seg_oks(array(1, 2, 0, 5, 5, 2), array(40, 2, 0.9, 5, 5, 0.1), 100, array(0.1, 0.2)),"
        + " seg_oks(array(1, 2, 0, 5, 5, 0), array(4, 2, 0.9, 5, 5, 0.1), 100, array(0.1, 0.2)),"
        + " seg_oks(array(1, 2, 0, 5, 5, 0), array(14, 2, 0.9, 5, 5, 0.1), 100, array(0.1, 0.2), array(0, 0, 4, 4)),"
        + " seg_oks(NULL, array(1, 2, 2), 100, array(0.1))").get(0);
    assertEquals(1.0, r.getDouble(0), 1e-15);
    double eps = 2.220446049250313e-16;
    double e = 9.0 / (0.2 * 0.2) / (100 + eps) / 2;
    assertEquals((Math.exp(-e) + 1.0) / 2, r.getDouble(1), 1e-15);
    assertEquals(1.0, r.getDouble(2), 1e-15); // only the labelled keypoint counts
    assertTrue(r.isNullAt(3)); // nothing labelled and no box
    // box [0,0,4,4] grows to x in [-4, 8]: dt x=14 is 6 px out (sigma .1), the other is inside
    double e2 = 36.0 / (0.2 * 0.2) / (100 + eps) / 2;
    assertEquals((Math.exp(-e2) + 1.0) / 2, r.getDouble(4), 1e-15);
    assertTrue(r.isNullAt(5));
    // 17 keypoints default to the COCO person sigmas
    StringBuilder gt = new StringBuilder("array(");
    StringBuilder dt = new StringBuilder("array(");
    for (int k = 0; k < 17; k++) {
      gt.append(k == 0 ? "" : ", ").append(10 * k).append(", 20, 2");
      dt.append(k == 0 ? "" : ", ").append(10 * k + 1).append(", 20, 1");
    }
    double sum = 0;
    for (double s : io.sparkseg.core.coco.eval.EvalParams.COCO_KEYPOINT_SIGMAS) {
      sum += Math.exp(-1.0 / ((2 * s) * (2 * s)) / (400 + eps) / 2);
    }
    assertEquals(sum / 17, sql("SELECT seg_oks(" + gt + "), " + dt + "), 400)").get(0).getDouble(0), 1e-12);
    Exception ex = assertThrows(Exception.class, () -> sql("SELECT seg_oks(array(1, 2, 2), array(1, 2, 2), 100)"));
    assertTrue(messages(ex).contains("seg_oks: 1 keypoints but no sigmas given"), messages(ex));
  }

  @Test
  @Tag("smoke")
  void nullInNullOut() {
    Row r = sql("SELECT seg_mask_area(NULL), seg_mask_iou(NULL, NULL), seg_mask_bbox(NULL), seg_mask_union(NULL),"
        + " seg_mask_intersection(NULL, NULL), seg_mask_to_png(NULL), seg_mask_to_polygons(NULL),"
        + " seg_point_in_mask(NULL, 1, 1), seg_box_iou(NULL, array(1, 2, 3, 4)), seg_oks(NULL, NULL, NULL),"
        + " seg_polygons_to_mask(NULL, 4, 4), seg_box_to_mask(NULL, 4, 4), seg_mask(NULL)").get(0);
    for (int i = 0; i < r.length(); i++) {
      assertTrue(r.isNullAt(i), "column " + i);
    }
  }

  @Test
  @Tag("smoke")
  void malformedMasksFailWithAClearMessage() {
    String bad = "named_struct('height', 4, 'width', 5, 'counts', 'abc')";
    Exception e = assertThrows(Exception.class, () -> sql("SELECT seg_mask_area(" + bad + ")"));
    String m = messages(e);
    assertTrue(m.contains("seg_mask_area: mask is not a valid COCO RLE for a 4x5 mask"), m);
    assertTrue(m.contains("'abc'"), m);
    e = assertThrows(Exception.class, () -> sql("SELECT seg_mask_iou(named_struct('height', 2, 'width', 2, 'counts', '4'),"
        + " named_struct('height', 2, 'width', 3, 'counts', '6'))"));
    assertTrue(messages(e).contains("seg_mask_iou: the masks have different sizes: dt 2x2, gt 2x3"), messages(e));
    e = assertThrows(Exception.class, () -> sql("SELECT seg_mask_union_agg(m) FROM VALUES"
        + " (named_struct('height', 2, 'width', 2, 'counts', '4')), (named_struct('height', 2, 'width', 2, 'counts', '9')) t(m)"));
    assertTrue(messages(e).contains("seg_mask_union_agg"), messages(e));
    e = assertThrows(Exception.class, () -> sql("SELECT seg_mask_to_png(named_struct('height', 2, 'width', 2, 'counts', '4'), 'red')"));
    assertTrue(messages(e).contains("seg_mask_to_png: colour must be #RRGGBB"), messages(e));
    e = assertThrows(Exception.class, () -> sql("SELECT seg_mask_iou(NULL)"));
    assertTrue(messages(e).contains("seg_mask_iou takes 2 to 3 arguments but got 1"), messages(e));
  }

  @Test
  @Tag("smoke")
  void functionsAreDescribed() {
    for (String name : SparksegFunctions.names()) {
      String text = spark.sql("DESCRIBE FUNCTION EXTENDED " + name).collectAsList().toString();
      assertTrue(text.contains(name + "("), text);
    }
    assertFalse(SparksegFunctions.names().isEmpty());
  }

  /** Pixelwise OR ({@code union}) or AND of column-major 0/1 strings of one size. */
  private static String combine(List<String> masks, boolean union) {
    char[] out = masks.get(0).toCharArray();
    for (String m : masks.subList(1, masks.size())) {
      for (int i = 0; i < out.length; i++) {
        boolean on = union ? out[i] == '1' || m.charAt(i) == '1' : out[i] == '1' && m.charAt(i) == '1';
        out[i] = on ? '1' : '0';
      }
    }
    return new String(out);
  }

  /**
   * A compressed COCO RLE string as column-major 0/1 pixels, decoded here (pycocotools' rleFrString:
   * 5 bits per character, a continuation bit, a sign bit, counts after the second stored as deltas)
   * so the expected masks do not depend on sparkseg's own decoder.
   */
  static String pixels(int h, int w, String counts) {
    List<Long> runs = new ArrayList<>();
    int p = 0;
    while (p < counts.length()) {
      long x = 0;
      int k = 0;
      boolean more = true;
      while (more) {
        int c = counts.charAt(p++) - 48;
        x |= (long) (c & 0x1f) << (5 * k);
        more = (c & 0x20) != 0;
        k++;
        if (!more && (c & 0x10) != 0) {
          x |= -1L << (5 * k);
        }
      }
      if (runs.size() > 2) {
        x += runs.get(runs.size() - 2);
      }
      runs.add(x);
    }
    StringBuilder b = new StringBuilder(h * w);
    char v = '0';
    for (long n : runs) {
      b.append(String.valueOf(v).repeat((int) n));
      v = v == '0' ? '1' : '0';
    }
    assertEquals(h * w, b.length(), "runs of " + counts + " cover " + h + "x" + w);
    return b.toString();
  }

  static String messages(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      b.append(c.getMessage()).append(" | ");
    }
    return b.toString();
  }
}
