package io.sparkseg.job.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.core.image.DecodeResult;
import io.sparkseg.core.image.ImageDecoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What the report reads besides the tables, from any Hadoop file system: the run summary and the
 * sample images, drawn over as thumbnails ({@link Overlay}).
 */
final class ReportFiles {
  private static final long MAX_IMAGE_BYTES = 64L << 20;

  private final Configuration conf;
  private final ImageDecoder decoder = new ImageDecoder();

  ReportFiles(Configuration conf) {
    this.conf = conf;
  }

  /**
   * The fields of the run summary file as text (values, and objects of at most 12 fields as JSON);
   * empty if there is no such file, one "(unreadable)" entry if it cannot be read.
   */
  Map<String, String> runSummary(String file) {
    try {
      Path p = new Path(file);
      FileSystem fs = p.getFileSystem(conf);
      if (!fs.exists(p)) {
        return new LinkedHashMap<>();
      }
      try (InputStream in = fs.open(p)) {
        return fields(new ObjectMapper().readTree(in));
      }
    } catch (IOException | RuntimeException e) {
      return unreadable(e);
    }
  }

  /** The fields of a run summary held as JSON text (the runs table's summary column), as {@link #runSummary}. */
  static Map<String, String> runSummaryJson(String json) {
    try {
      return fields(new ObjectMapper().readTree(json));
    } catch (IOException | RuntimeException e) {
      return unreadable(e);
    }
  }

  private static Map<String, String> fields(JsonNode n) {
    Map<String, String> out = new LinkedHashMap<>();
    n.fields().forEachRemaining(e -> {
      if (e.getValue().isValueNode()) {
        out.put(e.getKey(), e.getValue().asText());
      } else if (e.getValue().isObject() && e.getValue().size() <= 12) {
        out.put(e.getKey(), e.getValue().toString());
      }
    });
    return out;
  }

  private static Map<String, String> unreadable(Exception e) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("(unreadable)", e.getMessage());
    return out;
  }

  /** A sample: the image at {@code path} (null: not in the images table) with the shapes drawn on it. */
  ReportPage.Sample sample(long imageId, String path, List<Overlay.Shape> shapes, int thumbWidth) {
    String problem;
    if (path == null) {
      problem = "image " + imageId + " is not in the images table";
    } else {
      try {
        DecodeResult d = decoder.decode(read(path));
        if (d.isOk()) {
          byte[] png = Overlay.png(Overlay.draw(Overlay.toImage(d.image()), shapes, thumbWidth));
          return new ReportPage.Sample(imageId, path, png, null, shapes);
        }
        problem = d.status() + ": " + d.message();
      } catch (IOException | RuntimeException e) {
        problem = "cannot read: " + e.getMessage();
      }
    }
    return new ReportPage.Sample(imageId, path, null, problem, shapes);
  }

  private byte[] read(String path) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(conf);
    long len = fs.getFileStatus(p).getLen();
    if (len > MAX_IMAGE_BYTES) {
      throw new IOException("image is " + len + " bytes");
    }
    try (InputStream in = fs.open(p)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream((int) len);
      in.transferTo(out);
      return out.toByteArray();
    }
  }
}
