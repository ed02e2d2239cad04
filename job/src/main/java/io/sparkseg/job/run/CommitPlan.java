package io.sparkseg.job.run;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The work left in a run: the input minus the images already committed (earlier attempts) and
 * minus the images skipped (incremental), cut into commits of at most {@code n} images in input
 * order, indexed from {@code firstIndex}. Iterating yields one commit at a time; nothing of a later
 * commit is built before it is asked for. {@link #close()} frees what the plan cached.
 */
public interface CommitPlan extends Iterator<Commit>, AutoCloseable {
  /** Input images already committed to the run. */
  long resumed();

  /** Input images skipped because an earlier run has them (incremental). */
  long skipped();

  /** Input images left to compute. */
  long remaining();

  /** How many commits the remaining images make. */
  int commits();

  @Override
  void close();

  /**
   * A plan over a driver-listed input ({@link io.sparkseg.job.input.InputResolver#SCHEMA} rows in input order).
   *
   * @param committed sorted ids already committed ({@link SortedIds})
   * @param skipped sorted ids to skip
   */
  static CommitPlan listed(SparkSession spark, List<Row> input, long[] committed, long[] skipped, int n,
      int firstIndex) {
    return new ListedCommitPlan(spark, input, committed, skipped, n, firstIndex);
  }

  /**
   * A plan over an input table (a manifest), all in Spark: anti-joins, then a row index that stays
   * fixed for the whole attempt (the numbered rows are cached).
   *
   * @param committed ids already committed (column image_id), or null
   * @param skipped ids to skip (column image_id), or null
   */
  static CommitPlan table(SparkSession spark, Dataset<Row> input, Dataset<Row> committed, Dataset<Row> skipped,
      int n, int firstIndex) {
    return new TableCommitPlan(spark, input, committed, skipped, n, firstIndex);
  }
}
