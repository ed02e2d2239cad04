package io.sparkseg.job.input;

import java.util.Collections;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The checked set of {@code (image_id, path)} rows a run segments (see {@link InputResolver}).
 * Inputs listed on the driver (folders, globs, COCO image lists) stay a driver-side list, sliced
 * into partitions in listing order with no shuffle; manifests are a cached Spark table,
 * repartitioned. {@link #release()} frees the cache.
 */
public final class ResolvedInput {
  private final SparkSession spark;
  private final List<Row> listed;
  private final Dataset<Row> table;
  private final long count;

  private ResolvedInput(SparkSession spark, List<Row> listed, Dataset<Row> table, long count) {
    this.spark = spark;
    this.listed = listed;
    this.table = table;
    this.count = count;
  }

  static ResolvedInput listed(SparkSession spark, List<Row> rows) {
    // no copy: the resolver hands over a list it built (millions of rows on large folders)
    return new ResolvedInput(spark, Collections.unmodifiableList(rows), null, rows.size());
  }

  static ResolvedInput table(SparkSession spark, Dataset<Row> cached, long count) {
    return new ResolvedInput(spark, null, cached, count);
  }

  /** Number of distinct images. */
  public long count() {
    return count;
  }

  /** The driver-listed rows in input order (read-only); null for a manifest. */
  public List<Row> listedRows() {
    return listed;
  }

  /** The rows in {@code partitions} partitions (at most one per row). */
  public JavaRDD<Row> partitioned(int partitions) {
    if (listed != null) {
      int slices = (int) Math.max(1, Math.min(partitions, listed.size()));
      return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(listed, slices);
    }
    return table.repartition(partitions).javaRDD();
  }

  /** The rows as a Dataset with {@link InputResolver#SCHEMA}. */
  public Dataset<Row> rows() {
    return listed != null ? spark.createDataFrame(listed, InputResolver.SCHEMA) : table;
  }

  /** Drops the cached manifest table, if any. */
  public void release() {
    if (table != null) {
      table.unpersist(false);
    }
  }
}
