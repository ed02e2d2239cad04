package io.sparkseg.core.coco;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.sparkseg.core.mask.Rle;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Writes COCO annotation files and results files in the form {@link CocoJsonReader} and
 * pycocotools read: compressed RLEs as strings, uncompressed ones (crowd ground truth) as count
 * lists, absent optional fields left out. Streams; does not close {@code out}.
 */
public final class CocoJsonWriter {
  private static final JsonFactory JSON = new JsonFactory();

  private CocoJsonWriter() {}

  /** Writes {@code images}, {@code categories} and {@code annotations}. */
  public static void writeDataset(CocoDataset d, OutputStream out) throws IOException {
    try (JsonGenerator g = generator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("images");
      for (CocoImage i : d.images()) {
        g.writeStartObject();
        g.writeNumberField("id", i.id());
        g.writeNumberField("width", i.width());
        g.writeNumberField("height", i.height());
        if (i.fileName() != null) {
          g.writeStringField("file_name", i.fileName());
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("categories");
      for (CocoCategory c : d.categories()) {
        category(g, c);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("annotations");
      for (CocoAnnotation a : d.annotations()) {
        g.writeStartObject();
        g.writeNumberField("id", a.id());
        g.writeNumberField("image_id", a.imageId());
        g.writeNumberField("category_id", a.categoryId());
        g.writeNumberField("iscrowd", a.iscrowd() ? 1 : 0);
        if (a.area() != null) {
          g.writeNumberField("area", a.area());
        }
        numbers(g, "bbox", a.bbox());
        segmentation(g, a.segmentation());
        numbers(g, "keypoints", a.keypoints());
        if (a.numKeypoints() != null) {
          g.writeNumberField("num_keypoints", a.numKeypoints());
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
  }

  /** Writes a results file: a JSON array of detections in list order. */
  public static void writeResults(List<CocoDetection> dets, OutputStream out) throws IOException {
    try (JsonGenerator g = generator(out)) {
      g.writeStartArray();
      for (CocoDetection d : dets) {
        g.writeStartObject();
        g.writeNumberField("image_id", d.imageId());
        g.writeNumberField("category_id", d.categoryId());
        g.writeNumberField("score", d.score());
        numbers(g, "bbox", d.bbox());
        segmentation(g, d.segmentation());
        numbers(g, "keypoints", d.keypoints());
        g.writeEndObject();
      }
      g.writeEndArray();
    }
  }

  private static JsonGenerator generator(OutputStream out) throws IOException {
    JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8);
    g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    return g;
  }

  private static void category(JsonGenerator g, CocoCategory c) throws IOException {
    g.writeStartObject();
    g.writeNumberField("id", c.id());
    g.writeStringField("name", c.name());
    if (c.supercategory() != null) {
      g.writeStringField("supercategory", c.supercategory());
    }
    if (c.hasKeypoints()) {
      g.writeArrayFieldStart("keypoints");
      for (String k : c.keypoints()) {
        g.writeString(k);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("skeleton");
      for (int[] pair : c.skeleton()) {
        g.writeArray(pair, 0, pair.length);
      }
      g.writeEndArray();
    }
    numbers(g, "sigmas", c.keypointSigmas());
    g.writeEndObject();
  }

  private static void segmentation(JsonGenerator g, Segmentation s) throws IOException {
    if (s == null) {
      return;
    }
    g.writeFieldName("segmentation");
    if (s instanceof Segmentation.PolygonSet p) {
      g.writeStartArray();
      for (double[] poly : p.polygons()) {
        g.writeArray(poly, 0, poly.length);
      }
      g.writeEndArray();
      return;
    }
    Segmentation.RleMask m = (Segmentation.RleMask) s;
    Rle r = m.rle();
    g.writeStartObject();
    g.writeArrayFieldStart("size");
    g.writeNumber(r.height());
    g.writeNumber(r.width());
    g.writeEndArray();
    if (m.compressed()) {
      g.writeStringField("counts", r.toCompressedString());
    } else {
      g.writeFieldName("counts");
      int[] c = r.counts();
      g.writeArray(c, 0, c.length);
    }
    g.writeEndObject();
  }

  private static void numbers(JsonGenerator g, String field, double[] v) throws IOException {
    if (v != null) {
      g.writeFieldName(field);
      g.writeArray(v, 0, v.length);
    }
  }
}
