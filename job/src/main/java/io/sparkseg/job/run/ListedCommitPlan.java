package io.sparkseg.job.run;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@link CommitPlan} over a driver-listed input: a cursor over the list that leaves out committed
 * and skipped ids (binary search in sorted arrays). A commit's slice is the only list it builds.
 */
final class ListedCommitPlan implements CommitPlan {
  private final JavaSparkContext sc;
  private final List<Row> input;
  private final long[] committed;
  private final long[] skipped;
  private final int n;
  private final long resumed;
  private final long skippedCount;
  private final long remaining;
  private int cursor;
  private int nextIndex;
  private long handedOut;

  ListedCommitPlan(SparkSession spark, List<Row> input, long[] committed, long[] skipped, int n, int firstIndex) {
    if (n < 1) {
      throw new IllegalArgumentException("commit size must be at least 1, got " + n);
    }
    this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.input = input;
    this.committed = committed;
    this.skipped = skipped;
    this.n = n;
    this.nextIndex = firstIndex;
    long r = 0;
    long s = 0;
    for (Row row : input) {
      long id = row.getLong(0);
      if (SortedIds.contains(committed, id)) {
        r++;
      } else if (SortedIds.contains(skipped, id)) {
        s++;
      }
    }
    this.resumed = r;
    this.skippedCount = s;
    this.remaining = input.size() - r - s;
  }

  @Override
  public long resumed() {
    return resumed;
  }

  @Override
  public long skipped() {
    return skippedCount;
  }

  @Override
  public long remaining() {
    return remaining;
  }

  @Override
  public int commits() {
    return (int) ((remaining + n - 1) / n);
  }

  @Override
  public boolean hasNext() {
    return handedOut < remaining;
  }

  @Override
  public Commit next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    List<Row> slice = new ArrayList<>((int) Math.min(n, remaining - handedOut));
    while (slice.size() < n && cursor < input.size()) {
      Row row = input.get(cursor++);
      long id = row.getLong(0);
      if (!SortedIds.contains(committed, id) && !SortedIds.contains(skipped, id)) {
        slice.add(row);
      }
    }
    handedOut += slice.size();
    int index = nextIndex++;
    return new Commit(index, slice.size(), partitions -> sc.parallelize(slice, partitions));
  }

  @Override
  public void close() {
    // nothing cached
  }
}
