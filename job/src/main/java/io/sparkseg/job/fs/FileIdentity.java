package io.sparkseg.job.fs;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.sql.Timestamp;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.EtagSource;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * What identifies a file's content without reading it: size, modification time and, where the
 * file system gives one, an entity tag (S3A's {@link EtagSource}; HDFS and local files have none).
 * Incremental runs compare it with what an earlier run recorded for the same path.
 */
public record FileIdentity(long sizeBytes, Timestamp modifiedAt, String etag) implements Serializable {
  /** The identity in a file status, as listed or as got when opening the file. */
  public static FileIdentity of(FileStatus status) {
    String etag = status instanceof EtagSource e ? blankToNull(e.getEtag()) : null;
    return new FileIdentity(status.getLen(), new Timestamp(status.getModificationTime()), etag);
  }

  /** The identity of the file at {@code path}, or null when there is none (missing, unreadable). */
  public static FileIdentity of(String path, Configuration conf) {
    try {
      Path p = new Path(path);
      FileStatus st = p.getFileSystem(conf).getFileStatus(p);
      return st.isFile() ? of(st) : null;
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException | RuntimeException e) {
      return null; // the segmenting task reports why; an unknown identity never matches an earlier run
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
