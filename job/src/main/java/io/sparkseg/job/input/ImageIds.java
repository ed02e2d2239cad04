package io.sparkseg.job.input;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Stable image ids for inputs that carry none. The id of an image is derived from its
 * normalized, fully qualified path as Hadoop's {@code Path.toString()} writes it ({@code file:/data/a.jpg},
 * {@code s3a://bucket/a.jpg}, {@code hdfs://nn:8020/a.jpg}): the first 8 bytes of the SHA-256 of
 * that string's UTF-8 bytes, read big-endian, with the sign bit cleared (a non-negative 63-bit
 * long). The same path always gets the same id, in every run and on every machine.
 */
public final class ImageIds {
  private ImageIds() {}

  /** The id of an already-normalized path string. */
  public static long fromNormalizedPath(String normalizedPath) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(normalizedPath.getBytes(StandardCharsets.UTF_8));
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (d[i] & 0xFF);
      }
      return v & Long.MAX_VALUE;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Qualifies {@code path} against its file system (scheme, authority, absolute) and normalizes it. */
  public static String normalize(String path, Configuration conf) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(conf);
      return fs.makeQualified(p).toString(); // Path normalizes (., .., //) and prints unescaped
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + path + ": " + e.getMessage(), e);
    }
  }
}
