package io.sparkseg.job.executor;

import io.sparkseg.core.result.ImageStatus;
import io.sparkseg.job.fs.FileIdentity;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.functional.FutureIO;

/**
 * Reads one image file's bytes through the Hadoop FileSystem API, reporting absence as a status,
 * and what identifies the file's content ({@link FileIdentity}, for incremental runs) from the
 * status it opens the file with (on S3A one request for both).
 */
public final class ImageBytes {
  private ImageBytes() {}

  /** Bytes of an image, or a status ({@code missing}/{@code read_error}) and message. */
  public record Read(byte[] bytes, ImageStatus status, String error, FileIdentity file) {
    public static Read of(byte[] bytes) {
      return new Read(bytes, null, null, null);
    }

    public static Read of(byte[] bytes, FileIdentity file) {
      return new Read(bytes, null, null, file);
    }

    public static Read failed(ImageStatus status, String error) {
      return new Read(null, status, error, null);
    }

    public boolean ok() {
      return bytes != null;
    }
  }

  public static Read read(String path, Configuration conf) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(conf);
      FileStatus status = fs.getFileStatus(p);
      try (InputStream in = FutureIO.awaitFuture(fs.openFile(p).withFileStatus(status).build())) {
        return Read.of(in.readAllBytes(), FileIdentity.of(status));
      }
    } catch (FileNotFoundException e) {
      return Read.failed(ImageStatus.MISSING, "file not found: " + path);
    } catch (IOException | RuntimeException | OutOfMemoryError e) {
      return Read.failed(ImageStatus.READ_ERROR, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }
}
