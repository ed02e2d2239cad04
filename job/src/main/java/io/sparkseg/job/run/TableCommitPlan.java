package io.sparkseg.job.run;

import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * {@link CommitPlan} over an input table: the remaining rows (left-anti joins) numbered once with
 * {@code zipWithIndex} and cached with their commit index; a commit is a filter on that index,
 * which the in-memory cache answers from its per-batch statistics without scanning the other
 * commits' batches.
 */
final class TableCommitPlan implements CommitPlan {
  static final StructType PLANNED = new StructType()
      .add("image_id", DataTypes.LongType, false)
      .add("path", DataTypes.StringType, false)
      .add("refused", DataTypes.StringType, true)
      .add("commit", DataTypes.IntegerType, false);

  private final Dataset<Row> planned;
  private final long resumed;
  private final long skipped;
  private final long remaining;
  private final int commits;
  private final int firstIndex;
  private final int n;
  private int next;

  TableCommitPlan(SparkSession spark, Dataset<Row> input, Dataset<Row> committed, Dataset<Row> skippedIds, int n,
      int firstIndex) {
    if (n < 1) {
      throw new IllegalArgumentException("commit size must be at least 1, got " + n);
    }
    this.firstIndex = firstIndex;
    this.n = n;
    Dataset<Row> rows = input.select("image_id", "path", "refused");
    this.resumed = committed == null ? 0 : rows.join(ids(committed), col(rows), "left_semi").count();
    Dataset<Row> rest = committed == null ? rows : rows.join(ids(committed), col(rows), "left_anti");
    this.skipped = skippedIds == null ? 0 : rest.join(ids(skippedIds), col(rest), "left_semi").count();
    if (skippedIds != null) {
      rest = rest.join(ids(skippedIds), col(rest), "left_anti");
    }
    // zipWithIndex runs one job for the partition sizes and another for the rows: both must see the
    // same rows in the same order, which a shuffle (the joins) does not promise without the cache
    Dataset<Row> fixed = rest.persist(StorageLevel.MEMORY_AND_DISK());
    try {
      JavaRDD<Row> numbered = fixed.javaRDD().zipWithIndex().map(t -> RowFactory.create(
          t._1().getLong(0), t._1().getString(1), t._1().getString(2), (int) (firstIndex + t._2() / n)));
      this.planned = spark.createDataFrame(numbered, PLANNED).persist(StorageLevel.MEMORY_AND_DISK());
      this.remaining = planned.count();
    } finally {
      fixed.unpersist(false);
    }
    this.commits = (int) ((remaining + n - 1) / n);
  }

  private static Dataset<Row> ids(Dataset<Row> ids) {
    return ids.select(functions.col("image_id").as("done_id")).distinct();
  }

  private static org.apache.spark.sql.Column col(Dataset<Row> rows) {
    return rows.col("image_id").equalTo(functions.col("done_id"));
  }

  @Override
  public long resumed() {
    return resumed;
  }

  @Override
  public long skipped() {
    return skipped;
  }

  @Override
  public long remaining() {
    return remaining;
  }

  @Override
  public int commits() {
    return commits;
  }

  @Override
  public boolean hasNext() {
    return next < commits;
  }

  @Override
  public Commit next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    int index = firstIndex + next++;
    Dataset<Row> slice = planned.where(functions.col("commit").equalTo(index)).select("image_id", "path", "refused");
    long images = Math.min(n, remaining - (long) (index - firstIndex) * n);
    return new Commit(index, images, partitions -> slice.repartition(partitions).javaRDD());
  }

  @Override
  public void close() {
    planned.unpersist(false);
  }
}
