package io.sparkseg.core.coco;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.sparkseg.core.mask.Rle;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes COCO annotation files and results files in the form {@link CocoJsonReader} and
 * pycocotools read, record by record (Jackson's generator), so generated cases of any size go to
 * disk without being held whole: compressed RLEs as strings, uncompressed ones (crowd ground
 * truth) as count lists, absent optional fields left out, numbers so that they read back exactly.
 * Does not close the stream it writes to.
 */
public final class CocoJsonWriter implements AutoCloseable {
  private static final JsonFactory JSON = new JsonFactory();

  private final JsonGenerator g;
  private final boolean resultsFile;

  private CocoJsonWriter(OutputStream out, boolean resultsFile) throws IOException {
    this.g = JSON.createGenerator(out, JsonEncoding.UTF8);
    this.g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    this.resultsFile = resultsFile;
  }

  /** A results file: call {@link #detection} for each, then {@link #close}. */
  public static CocoJsonWriter results(OutputStream out) throws IOException {
    CocoJsonWriter w = new CocoJsonWriter(out, true);
    w.g.writeStartArray();
    return w;
  }

  /** An annotation file: then {@link #startArray} for each of its arrays, records, {@link #endArray}. */
  public static CocoJsonWriter annotations(OutputStream out) throws IOException {
    CocoJsonWriter w = new CocoJsonWriter(out, false);
    w.g.writeStartObject();
    return w;
  }

  /** Writes a whole dataset: {@code images}, {@code categories} and {@code annotations}. */
  public static void write(OutputStream out, CocoDataset d) throws IOException {
    try (CocoJsonWriter w = annotations(out)) {
      w.startArray("images");
      for (CocoImage i : d.images()) {
        w.image(i);
      }
      w.endArray();
      w.startArray("categories");
      for (CocoCategory c : d.categories()) {
        w.category(c);
      }
      w.endArray();
      w.startArray("annotations");
      for (CocoAnnotation a : d.annotations()) {
        w.annotation(a);
      }
      w.endArray();
    }
  }

  /** Writes a whole results file: a JSON array of detections in iteration order. */
  public static void write(OutputStream out, Iterable<CocoDetection> dets) throws IOException {
    try (CocoJsonWriter w = results(out)) {
      for (CocoDetection d : dets) {
        w.detection(d);
      }
    }
  }

  /** Starts the array {@code name} ({@code images}, {@code annotations}, {@code categories}). */
  public void startArray(String name) throws IOException {
    g.writeArrayFieldStart(name);
  }

  public void endArray() throws IOException {
    g.writeEndArray();
  }

  public void category(CocoCategory c) throws IOException {
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
    numbers("sigmas", c.keypointSigmas());
    g.writeEndObject();
  }

  public void image(CocoImage i) throws IOException {
    g.writeStartObject();
    g.writeNumberField("id", i.id());
    g.writeNumberField("width", i.width());
    g.writeNumberField("height", i.height());
    if (i.fileName() != null) {
      g.writeStringField("file_name", i.fileName());
    }
    g.writeEndObject();
  }

  public void annotation(CocoAnnotation a) throws IOException {
    g.writeStartObject();
    g.writeNumberField("id", a.id());
    g.writeNumberField("image_id", a.imageId());
    g.writeNumberField("category_id", a.categoryId());
    g.writeNumberField("iscrowd", a.iscrowd() ? 1 : 0);
    if (a.area() != null) {
      g.writeNumberField("area", a.area());
    }
    numbers("bbox", a.bbox());
    segmentation(a.segmentation());
    numbers("keypoints", a.keypoints());
    if (a.numKeypoints() != null) {
      g.writeNumberField("num_keypoints", a.numKeypoints());
    }
    g.writeEndObject();
  }

  public void detection(CocoDetection d) throws IOException {
    g.writeStartObject();
    g.writeNumberField("image_id", d.imageId());
    g.writeNumberField("category_id", d.categoryId());
    g.writeNumberField("score", d.score());
    numbers("bbox", d.bbox());
    segmentation(d.segmentation());
    numbers("keypoints", d.keypoints());
    g.writeEndObject();
  }

  private void segmentation(Segmentation s) throws IOException {
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

  private void numbers(String field, double[] v) throws IOException {
    if (v != null) {
      g.writeFieldName(field);
      g.writeArray(v, 0, v.length);
    }
  }

  /** Ends the file's array or object and flushes; the stream stays open. */
  @Override
  public void close() throws IOException {
    if (resultsFile) {
      g.writeEndArray();
    } else {
      g.writeEndObject();
    }
    g.close();
  }
}
