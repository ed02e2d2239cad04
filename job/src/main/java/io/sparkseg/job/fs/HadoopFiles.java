package io.sparkseg.job.fs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/** Opens files on any Hadoop file system (file://, hdfs://, s3a://; a bare path uses the default FS). */
public final class HadoopFiles {
  private HadoopFiles() {}

  public static InputStream open(Configuration conf, String uri) throws IOException {
    Path p = new Path(uri);
    return p.getFileSystem(conf).open(p);
  }

  public static OutputStream create(Configuration conf, String uri) throws IOException {
    Path p = new Path(uri);
    return p.getFileSystem(conf).create(p, true);
  }
}
