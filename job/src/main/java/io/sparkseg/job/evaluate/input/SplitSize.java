package io.sparkseg.job.evaluate.input;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.internal.SQLConf;

/**
 * How many bytes of a JSON file one task reads: the rule of Spark's file sources, so the settings
 * users know apply ({@code spark.sql.files.maxPartitionBytes}, {@code
 * spark.sql.files.openCostInBytes}, the default parallelism).
 */
final class SplitSize {
  private SplitSize() {}

  static long of(SparkSession spark, long fileBytes) {
    SQLConf conf = spark.sessionState().conf();
    long perCore = fileBytes / Math.max(1, spark.sparkContext().defaultParallelism());
    return Math.max(1, Math.min(conf.filesMaxPartitionBytes(), Math.max(conf.filesOpenCostInBytes(), perCore)));
  }
}
