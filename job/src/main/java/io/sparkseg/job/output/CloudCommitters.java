package io.sparkseg.job.output;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How run partitions are committed, by output file system.
 *
 * <p>On HDFS and local disks Spark's own commit protocol with dynamic partition overwrite is used:
 * files are staged in {@code .spark-staging-*} and the {@code run_id=...} partition folder is
 * replaced by rename at job commit, so readers never see half a run and a re-run replaces it.
 *
 * <p>On {@code s3a://} rename is a copy, so the S3A committers are used through
 * spark-hadoop-cloud ({@code PathOutputCommitProtocol} + {@code BindingParquetOutputCommitter}).
 * Neither the magic nor the directory committer supports Spark's dynamic partition overwrite
 * ({@code PathOutputCommitProtocol} refuses it), and the directory committer's
 * {@code conflict-mode=replace} would delete every other run under the table. The
 * <b>partitioned</b> staging committer with {@code fs.s3a.committer.staging.conflict-mode=replace}
 * is the one that replaces exactly the partitions a job writes; it is used with append mode.
 * Data is uploaded as pending multipart uploads and only made visible at job commit.
 */
public final class CloudCommitters {
  public static final String PROTOCOL = "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol";
  public static final String PARQUET_COMMITTER = "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter";

  private CloudCommitters() {}

  /** Whether output under {@code root} should go through the S3A committers. */
  public static boolean isS3a(String root) {
    try {
      String scheme = URI.create(root.replace(" ", "%20")).getScheme();
      return scheme != null && scheme.toLowerCase(Locale.ROOT).equals("s3a");
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Whether spark-hadoop-cloud is on the classpath. */
  public static boolean available() {
    try {
      Class.forName(PROTOCOL, false, CloudCommitters.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** Spark SQL session settings for the S3A committers (set around the write, then restored). */
  public static Map<String, String> sessionConf() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("spark.sql.sources.commitProtocolClass", PROTOCOL);
    m.put("spark.sql.parquet.output.committer.class", PARQUET_COMMITTER);
    return m;
  }

  /** Hadoop settings passed as write options (they reach the job's Hadoop configuration). */
  public static Map<String, String> writeOptions() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("fs.s3a.committer.name", "partitioned");
    m.put("fs.s3a.committer.staging.conflict-mode", "replace");
    m.put("mapreduce.outputcommitter.factory.scheme.s3a", "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory");
    return m;
  }
}
