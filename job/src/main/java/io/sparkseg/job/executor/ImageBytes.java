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
 * status it opens the file with (on S3A one request for both). A file over the byte limit is
 * refused from that status, before any of it is read.
 */
public final class ImageBytes {
  /**
   * The highest byte limit: an image's bytes are read into one array, and no Java array holds
   * more than {@code Integer.MAX_VALUE - 8} elements (the JDK's soft maximum array length).
   */
  public static final long MAX_BYTES_LIMIT = Integer.MAX_VALUE - 8;

  private ImageBytes() {}

  /** Bytes of an image, or a status ({@code missing}/{@code read_error}/{@code too_large}/...) and message. */
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

  /**
   * Reads the file at {@code path}, or refuses it ({@code too_large}) when its status says it has
   * more than {@code maxBytes} bytes (or it grows past them while being read). An Error
   * (OutOfMemoryError) is thrown: it is the machine's failure, not the file's.
   */
  public static Read read(String path, Configuration conf, long maxBytes) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(conf);
      FileStatus status = fs.getFileStatus(p);
      FileIdentity file = FileIdentity.of(status);
      if (status.getLen() > maxBytes) {
        return new Read(null, ImageStatus.TOO_LARGE, "file of " + status.getLen() + " bytes is over the limit of "
            + maxBytes + " bytes (max-image-bytes); not read", file);
      }
      try (InputStream in = FutureIO.awaitFuture(fs.openFile(p).withFileStatus(status).build())) {
        byte[] bytes = in.readNBytes((int) maxBytes);
        if (bytes.length == maxBytes && in.read() != -1) {
          return new Read(null, ImageStatus.TOO_LARGE, "file grew past the limit of " + maxBytes
              + " bytes (max-image-bytes) while it was read", file);
        }
        return Read.of(bytes, file);
      }
    } catch (FileNotFoundException e) {
      return Read.failed(ImageStatus.MISSING, "file not found: " + path);
    } catch (IOException | RuntimeException e) {
      return Read.failed(ImageStatus.READ_ERROR, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  /** {@code bytes} given inline (a binary column), or {@code too_large} when there are more than {@code maxBytes}. */
  public static Read given(byte[] bytes, long maxBytes) {
    return bytes.length > maxBytes
        ? Read.failed(ImageStatus.TOO_LARGE, "image of " + bytes.length + " bytes is over the limit of " + maxBytes
            + " bytes (max-image-bytes)")
        : Read.of(bytes);
  }
}
