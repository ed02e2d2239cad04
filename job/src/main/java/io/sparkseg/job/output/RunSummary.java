package io.sparkseg.job.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The run summary: an ordered JSON object (run_id, images_total, images_by_status,
 * instances_total, images_per_second, timings, ...) written beside the output, to
 * {@code --summary-json} and to stdout. It holds counts, timings and locations only: never
 * configuration values, so no credentials can leak through it.
 */
public final class RunSummary {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private final Map<String, Object> fields = new LinkedHashMap<>();

  public RunSummary put(String key, Object value) {
    fields.put(key, value);
    return this;
  }

  public Object get(String key) {
    return fields.get(key);
  }

  public Map<String, Object> fields() {
    return fields;
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(fields);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes the summary to a file on any Hadoop file system (replacing it). */
  public void writeTo(String file, Configuration conf) throws IOException {
    Path p = new Path(file);
    FileSystem fs = p.getFileSystem(conf);
    try (OutputStream out = fs.create(p, true)) {
      out.write(toJson().getBytes(StandardCharsets.UTF_8));
      out.write('\n');
    }
  }

  /** A URI or path with any user-info (user:secret@) removed, for display. */
  public static String redact(String location) {
    if (location == null) {
      return null;
    }
    try {
      URI u = new Path(location).toUri();
      if (u.getUserInfo() == null) {
        return location;
      }
      return new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), u.getQuery(), u.getFragment()).toString();
    } catch (Exception e) {
      return location.replaceAll("//[^/@]*@", "//");
    }
  }
}
