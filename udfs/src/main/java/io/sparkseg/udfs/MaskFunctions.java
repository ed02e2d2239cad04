package io.sparkseg.udfs;

import io.sparkseg.core.mask.BoxIou;
import io.sparkseg.core.mask.Boxes;
import io.sparkseg.core.mask.MaskIou;
import io.sparkseg.core.mask.Polygons;
import io.sparkseg.core.mask.Rle;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * The bodies of the SQL functions, on the values Spark hands to a UDF (rows, Scala sequences,
 * boxed numbers). Every function returns null when an input it needs is null.
 */
final class MaskFunctions {
  private MaskFunctions() {}

  static Row mask(String fn, Object segmentation) {
    Rle m = SqlValues.mask(fn, fn.equals("seg_mask") ? "segmentation" : "mask", segmentation);
    return m == null ? null : SqlValues.row(m);
  }

  static Row mask(Object height, Object width, Object counts) {
    if (height == null || width == null || counts == null) {
      return null;
    }
    Row r = new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(
        new Object[] {height, width, counts}, null);
    return SqlValues.row(SqlValues.mask("seg_mask", "(height, width, counts)", r));
  }

  static Long area(Object mask) {
    Rle m = SqlValues.mask("seg_mask_area", "mask", mask);
    return m == null ? null : m.area();
  }

  static Double iou(Object dt, Object gt, Object crowd) {
    Rle a = SqlValues.mask("seg_mask_iou", "dt", dt);
    Rle b = SqlValues.mask("seg_mask_iou", "gt", gt);
    if (a == null || b == null || crowd == null) {
      return null;
    }
    if (a.height() != b.height() || a.width() != b.width()) {
      throw new IllegalArgumentException("seg_mask_iou: the masks have different sizes: dt " + a.height() + "x"
          + a.width() + ", gt " + b.height() + "x" + b.width());
    }
    return MaskIou.iou(a, b, (Boolean) crowd);
  }

  static Row bbox(Object mask) {
    Rle m = SqlValues.mask("seg_mask_bbox", "mask", mask);
    return m == null ? null : SqlValues.boxRow(m.toBbox());
  }

  /** Union or intersection of an array of masks; null elements are skipped, no masks give null. */
  static Row merge(String fn, Object masks, boolean intersect) {
    List<Object> l = SqlValues.list(masks);
    if (l == null) {
      return null;
    }
    List<Rle> rles = new ArrayList<>(l.size());
    for (int i = 0; i < l.size(); i++) {
      Rle m = SqlValues.mask(fn, "mask " + (i + 1), l.get(i));
      if (m == null) {
        continue;
      }
      if (!rles.isEmpty() && (rles.get(0).height() != m.height() || rles.get(0).width() != m.width())) {
        throw new IllegalArgumentException(fn + ": the masks have different sizes: " + rles.get(0).height() + "x"
            + rles.get(0).width() + " and " + m.height() + "x" + m.width() + " (mask " + (i + 1) + ")");
      }
      rles.add(m);
    }
    if (rles.isEmpty()) {
      return null;
    }
    return SqlValues.row(intersect ? Rle.intersection(rles) : Rle.union(rles));
  }

  static byte[] png(Object mask, Object color) {
    Rle m = SqlValues.mask("seg_mask_to_png", "mask", mask);
    if (m == null) {
      return null;
    }
    Integer rgba = null;
    if (color != null) {
      try {
        rgba = MaskPng.parseColor(color.toString());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("seg_mask_to_png: " + e.getMessage(), e);
      }
    }
    try {
      return MaskPng.encode(m, rgba);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("seg_mask_to_png: " + e.getMessage(), e);
    }
  }

  static List<List<Double>> polygons(Object mask) {
    Rle m = SqlValues.mask("seg_mask_to_polygons", "mask", mask);
    if (m == null) {
      return null;
    }
    List<List<Double>> out = new ArrayList<>();
    for (double[] p : Contours.outer(m)) {
      List<Double> l = new ArrayList<>(p.length);
      for (double v : p) {
        l.add(v);
      }
      out.add(l);
    }
    return out;
  }

  static Row fromPolygons(Object polygons, Object height, Object width) {
    List<double[]> polys = SqlValues.polygons("seg_polygons_to_mask", "polygons", polygons);
    if (polys == null || height == null || width == null) {
      return null;
    }
    int[] size = size("seg_polygons_to_mask", height, width);
    int h = size[0];
    int w = size[1];
    if (polys.isEmpty()) {
      return SqlValues.row(Rle.empty(h, w));
    }
    try {
      return SqlValues.row(Polygons.toMergedRle(polys, h, w));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("seg_polygons_to_mask: " + e.getMessage(), e);
    }
  }

  static Row fromBox(Object box, Object height, Object width) {
    double[] b = SqlValues.box("seg_box_to_mask", "bbox", box);
    if (b == null || height == null || width == null) {
      return null;
    }
    int[] size = size("seg_box_to_mask", height, width);
    int h = size[0];
    int w = size[1];
    return SqlValues.row(Boxes.toRle(b, h, w));
  }

  /** A mask size given as (non-null) SQL arguments; an error naming {@code fn} if it is negative. */
  private static int[] size(String fn, Object height, Object width) {
    int h = (Integer) height;
    int w = (Integer) width;
    if (h < 0 || w < 0) {
      throw new IllegalArgumentException(fn + ": invalid size " + h + "x" + w);
    }
    return new int[] {h, w};
  }

  static Boolean pointInMask(Object mask, Object x, Object y) {
    Rle m = SqlValues.mask("seg_point_in_mask", "mask", mask);
    if (m == null || x == null || y == null) {
      return null;
    }
    double fx = Math.floor((Double) x);
    double fy = Math.floor((Double) y);
    if (!(fx >= 0 && fy >= 0 && fx < m.width() && fy < m.height())) {
      return false; // outside the image (or NaN)
    }
    long idx = (long) fx * m.height() + (long) fy; // column-major
    long p = 0;
    for (int k = 0; k < m.runCount(); k++) {
      p += m.run(k);
      if (idx < p) {
        return (k & 1) == 1;
      }
    }
    return false;
  }

  static Double boxIou(Object dt, Object gt, Object crowd) {
    double[] a = SqlValues.box("seg_box_iou", "dt", dt);
    double[] b = SqlValues.box("seg_box_iou", "gt", gt);
    if (a == null || b == null || crowd == null) {
      return null;
    }
    return BoxIou.iou(a, b, (Boolean) crowd);
  }

  static Double oks(Object gt, Object dt, Object area, Object sigmas, Object gtBox) {
    double[] g = SqlValues.keypoints("seg_oks", "gt_keypoints", gt);
    double[] d = SqlValues.keypoints("seg_oks", "dt_keypoints", dt);
    if (g == null || d == null || area == null) {
      return null;
    }
    double[] s = SqlValues.doubles("seg_oks", "sigmas", sigmas);
    double[] box = SqlValues.box("seg_oks", "gt_bbox", gtBox);
    double v;
    try {
      v = Oks.oks(g, d, (Double) area, s, box);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("seg_oks: " + e.getMessage(), e);
    }
    return Double.isNaN(v) ? null : v;
  }
}
