package io.sparkseg.job.segment;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Reads one image file's bytes through the Hadoop FileSystem API, reporting absence as a status. */
public final class ImageBytes {
  private ImageBytes() {}

  /** Bytes of a file, or a status ({@code missing}/{@code read_error}) and message. */
  public record Read(byte[] bytes, String status, String error) {
    public boolean ok() {
      return bytes != null;
    }
  }

  public static Read read(String path, Configuration conf) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(conf);
      try (InputStream in = fs.open(p)) {
        return new Read(in.readAllBytes(), null, null);
      }
    } catch (FileNotFoundException e) {
      return new Read(null, ImageStatus.MISSING, "file not found: " + path);
    } catch (IOException | RuntimeException | OutOfMemoryError e) {
      return new Read(null, ImageStatus.READ_ERROR, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }
}
