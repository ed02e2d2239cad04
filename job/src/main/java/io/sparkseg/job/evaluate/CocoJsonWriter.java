package io.sparkseg.job.evaluate;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.sparkseg.core.coco.CocoAnnotation;
import io.sparkseg.core.coco.CocoCategory;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoImage;
import io.sparkseg.core.coco.Segmentation;
import io.sparkseg.core.mask.Rle;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes COCO annotation and results files record by record (Jackson's generator), so generated
 * cases of any size ({@link SyntheticEvalCase}, {@code bench eval-scale}) go to disk without being
 * held whole. Numbers are written so that they read back exactly.
 */
public final class CocoJsonWriter implements AutoCloseable {
  private final JsonGenerator g;
  private final boolean resultsFile;

  private CocoJsonWriter(OutputStream out, boolean resultsFile) throws IOException {
    this.g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8);
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

  /** Writes a whole dataset (images, categories, annotations). */
  public static void write(OutputStream out, io.sparkseg.core.coco.CocoDataset gt) throws IOException {
    try (CocoJsonWriter w = annotations(out)) {
      w.startArray("images");
      for (CocoImage i : gt.images()) {
        w.image(i);
      }
      w.endArray();
      w.startArray("categories");
      for (CocoCategory c : gt.categories()) {
        w.category(c);
      }
      w.endArray();
      w.startArray("annotations");
      for (CocoAnnotation a : gt.annotations()) {
        w.annotation(a);
      }
      w.endArray();
    }
  }

  /** Writes a whole results file. */
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
    g.writeStringField("supercategory", c.supercategory());
    g.writeEndObject();
  }

  public void image(CocoImage i) throws IOException {
    g.writeStartObject();
    g.writeNumberField("id", i.id());
    g.writeNumberField("width", i.width());
    g.writeNumberField("height", i.height());
    g.writeStringField("file_name", i.fileName());
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
    if (s instanceof Segmentation.PolygonSet ps) {
      g.writeStartArray();
      for (double[] p : ps.polygons()) {
        g.writeArray(p, 0, p.length);
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
        int[] c = r.counts();
        g.writeFieldName("counts");
        g.writeArray(c, 0, c.length);
      }
      g.writeEndObject();
    }
  }

  private void numbers(String field, double[] v) throws IOException {
    if (v != null) {
      g.writeFieldName(field);
      g.writeArray(v, 0, v.length);
    }
  }

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
