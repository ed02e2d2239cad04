package io.sparkseg.job.output;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import static io.sparkseg.tables.InstancesTable.BBOX;
import static io.sparkseg.tables.InstancesTable.CATEGORY_ID;
import static io.sparkseg.tables.InstancesTable.IMAGE_ID;
import static io.sparkseg.tables.InstancesTable.KEYPOINTS;
import static io.sparkseg.tables.InstancesTable.MASK;
import static io.sparkseg.tables.InstancesTable.MASK_SCORE;
import static io.sparkseg.tables.InstancesTable.SCORE;

import io.sparkseg.tables.InstancesTable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Exports instances as a COCO results file, the JSON array pycocotools' {@code COCO.loadRes}
 * accepts: one object per instance with {@code image_id}, {@code category_id}, {@code score},
 * {@code bbox} [x,y,w,h], {@code segmentation} {"size":[h,w],"counts":"..."} (compressed RLE)
 * and, for keypoint categories, {@code keypoints} [x1,y1,s1,...], plus {@code mask_score} (which
 * loadRes keeps and COCOeval ignores: to rank masks by it as {@code evaluate} does, copy it into
 * {@code score} before a segm evaluation). Streams rows to the driver
 * partition by partition, so the file can be larger than driver memory allows for a collect.
 */
public final class CocoResultsExporter {
  private CocoResultsExporter() {}

  /** Writes the instances (columns of {@link InstancesTable#SCHEMA}) to {@code file}; returns the count. */
  public static long export(Dataset<Row> instances, String file, Configuration conf) throws IOException {
    Dataset<Row> rows = instances.select(IMAGE_ID, CATEGORY_ID, SCORE, BBOX, MASK, KEYPOINTS, MASK_SCORE)
        .orderBy(IMAGE_ID, SCORE);
    Path p = new Path(file);
    FileSystem fs = p.getFileSystem(conf);
    long n = 0;
    try (OutputStream out = fs.create(p, true);
        JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartArray();
      Iterator<Row> it = rows.toLocalIterator();
      while (it.hasNext()) {
        Row r = it.next();
        g.writeStartObject();
        g.writeNumberField("image_id", r.getLong(0));
        g.writeNumberField("category_id", r.getInt(1));
        g.writeNumberField("score", r.getFloat(2));
        Row b = r.getStruct(3);
        g.writeArrayFieldStart("bbox");
        for (int i = 0; i < 4; i++) {
          g.writeNumber(round(b.getDouble(i)));
        }
        g.writeEndArray();
        Row m = r.getStruct(4);
        g.writeObjectFieldStart("segmentation");
        g.writeArrayFieldStart("size");
        g.writeNumber(m.getInt(0));
        g.writeNumber(m.getInt(1));
        g.writeEndArray();
        g.writeStringField("counts", m.getString(2));
        g.writeEndObject();
        g.writeNumberField("mask_score", r.getFloat(6));
        if (!r.isNullAt(5)) {
          List<Row> kps = r.getList(5);
          g.writeArrayFieldStart("keypoints");
          for (Row k : kps) {
            g.writeNumber(k.getFloat(0));
            g.writeNumber(k.getFloat(1));
            g.writeNumber(k.getFloat(2));
          }
          g.writeEndArray();
        }
        g.writeEndObject();
        n++;
      }
      g.writeEndArray();
    }
    return n;
  }

  private static double round(double v) {
    return Math.round(v * 100.0) / 100.0;
  }
}
