package io.sparkseg.job.output;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How commit folders are written on {@code s3a://}, where rename is a copy.
 *
 * <p>Each commit is a new leaf folder ({@code TABLE/run_id=ID/commit=K}), written through
 * spark-hadoop-cloud ({@code PathOutputCommitProtocol} + {@code BindingParquetOutputCommitter}) with
 * the S3A <b>magic</b> committer: tasks upload their files as pending multipart uploads whose
 * manifests live in the bucket itself (under {@code __magic_job-*} of the destination), and job
 * commit completes them, so the files appear at once and only then {@code _SUCCESS}. The staging
 * committers keep those manifests on {@code fs.s3a.committer.staging.tmp.path} in the cluster's
 * default file system: on Kubernetes or EMR-on-S3 with no HDFS that is the executor pod's own
 * disk, out of the driver's reach at job commit. S3 is strongly consistent, which the magic
 * committer needs. Job commit and abort do not abort other pending uploads under the destination
 * ({@code fs.s3a.committer.abort.pending.uploads=false}): another writer may own them; a dead
 * attempt's leftovers are for the bucket's incomplete-multipart-upload lifecycle rule.
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
    m.put("fs.s3a.committer.name", "magic");
    m.put("fs.s3a.committer.magic.enabled", "true");
    m.put("fs.s3a.committer.abort.pending.uploads", "false");
    m.put("mapreduce.outputcommitter.factory.scheme.s3a", "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory");
    return m;
  }
}
