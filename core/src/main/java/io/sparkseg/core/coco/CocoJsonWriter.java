package io.sparkseg.core.coco;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.sparkseg.core.mask.Rle;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes COCO annotation files and results files with Jackson's streaming generator. RLE
 * segmentations keep the form they were read in (compressed string or uncompressed counts).
 * The stream is flushed, not closed.
 */
public final class CocoJsonWriter {
  private static final JsonFactory FACTORY = new JsonFactory();

  private CocoJsonWriter() {}

  /** Writes a COCO annotation file. */
  public static void writeDataset(OutputStream out, CocoDataset ds) throws IOException {
    try (JsonGenerator g = generator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("images");
      for (CocoImage i : ds.images()) {
        g.writeStartObject();
        g.writeNumberField("id", i.id());
        if (i.width() >= 0) {
          g.writeNumberField("width", i.width());
        }
        if (i.height() >= 0) {
          g.writeNumberField("height", i.height());
        }
        if (i.fileName() != null) {
          g.writeStringField("file_name", i.fileName());
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("categories");
      for (CocoCategory c : ds.categories()) {
        g.writeStartObject();
        g.writeNumberField("id", c.id());
        if (c.name() != null) {
          g.writeStringField("name", c.name());
        }
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
          for (int[] e : c.skeleton()) {
            g.writeArray(e, 0, e.length);
          }
          g.writeEndArray();
        }
        if (c.keypointSigmas() != null) {
          g.writeFieldName("sigmas");
          g.writeArray(c.keypointSigmas(), 0, c.keypointSigmas().length);
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("annotations");
      for (CocoAnnotation a : ds.annotations()) {
        g.writeStartObject();
        g.writeNumberField("id", a.id());
        g.writeNumberField("image_id", a.imageId());
        g.writeNumberField("category_id", a.categoryId());
        g.writeNumberField("iscrowd", a.iscrowd() ? 1 : 0);
        if (a.area() != null) {
          g.writeNumberField("area", a.area());
        }
        if (a.bbox() != null) {
          g.writeFieldName("bbox");
          g.writeArray(a.bbox(), 0, 4);
        }
        if (a.segmentation() != null) {
          g.writeFieldName("segmentation");
          writeSegmentation(g, a.segmentation());
        }
        if (a.keypoints() != null) {
          g.writeFieldName("keypoints");
          g.writeArray(a.keypoints(), 0, a.keypoints().length);
        }
        if (a.numKeypoints() != null) {
          g.writeNumberField("num_keypoints", a.numKeypoints());
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
  }

  /** Writes a COCO results file (a JSON array of detections). */
  public static void writeResults(OutputStream out, Iterable<CocoDetection> detections) throws IOException {
    try (JsonGenerator g = generator(out)) {
      g.writeStartArray();
      for (CocoDetection d : detections) {
        g.writeStartObject();
        g.writeNumberField("image_id", d.imageId());
        g.writeNumberField("category_id", d.categoryId());
        g.writeNumberField("score", d.score());
        if (d.bbox() != null) {
          g.writeFieldName("bbox");
          g.writeArray(d.bbox(), 0, 4);
        }
        if (d.segmentation() != null) {
          g.writeFieldName("segmentation");
          writeSegmentation(g, d.segmentation());
        }
        if (d.keypoints() != null) {
          g.writeFieldName("keypoints");
          g.writeArray(d.keypoints(), 0, d.keypoints().length);
        }
        g.writeEndObject();
      }
      g.writeEndArray();
    }
  }

  private static JsonGenerator generator(OutputStream out) throws IOException {
    JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8);
    g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    return g;
  }

  private static void writeSegmentation(JsonGenerator g, Segmentation s) throws IOException {
    if (s instanceof Segmentation.PolygonSet p) {
      g.writeStartArray();
      for (double[] poly : p.polygons()) {
        g.writeArray(poly, 0, poly.length);
      }
      g.writeEndArray();
    } else if (s instanceof Segmentation.RleMask m) {
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
  }
}
