package io.sparkseg.job.executor;

import io.sparkseg.core.result.ImageStatus;
import io.sparkseg.job.fs.HadoopFiles;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;

/** Reads one image file's bytes through the Hadoop FileSystem API, reporting absence as a status. */
public final class ImageBytes {
  private ImageBytes() {}

  /** Bytes of an image, or a status ({@code missing}/{@code read_error}) and message. */
  public record Read(byte[] bytes, ImageStatus status, String error) {
    public static Read of(byte[] bytes) {
      return new Read(bytes, null, null);
    }

    public static Read failed(ImageStatus status, String error) {
      return new Read(null, status, error);
    }

    public boolean ok() {
      return bytes != null;
    }
  }

  public static Read read(String path, Configuration conf) {
    try (InputStream in = HadoopFiles.open(conf, path)) {
      return Read.of(in.readAllBytes());
    } catch (FileNotFoundException e) {
      return Read.failed(ImageStatus.MISSING, "file not found: " + path);
    } catch (IOException | RuntimeException | OutOfMemoryError e) {
      return Read.failed(ImageStatus.READ_ERROR, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }
}
