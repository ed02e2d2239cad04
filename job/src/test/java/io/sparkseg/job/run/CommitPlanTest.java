package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.job.TestSpark;
import io.sparkseg.job.input.InputResolver;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Commit planning on the driver (listed input) and in Spark (manifest input). */
class CommitPlanTest {
  private static final StructType IDS = new StructType().add("image_id", DataTypes.LongType, false);

  private static List<Row> input(int n) {
    List<Row> rows = new ArrayList<>();
    // ids out of order: the plan keeps the input's order, not the ids'; every 5th path refused
    for (int i = 0; i < n; i++) {
      rows.add(RowFactory.create((long) (i * 7919 % 1000), "file:/in/" + i + ".jpg", i % 5 == 4 ? "refused " + i : null));
    }
    return rows;
  }

  private static long id(List<Row> rows, int i) {
    return rows.get(i).getLong(0);
  }

  @Test
  void listedInputLeavesOutCommittedAndSkippedAndSlicesInInputOrder() {
    SparkSession spark = TestSpark.session();
    List<Row> in = input(10);
    long[] committed = SortedIds.sortedDistinct(new long[] {id(in, 5), 123_456L, id(in, 2)}, 3); // one not in the input
    long[] skipped = SortedIds.sortedDistinct(new long[] {id(in, 7)}, 1);
    try (CommitPlan plan = CommitPlan.listed(spark, in, committed, skipped, 3, 4)) {
      assertEquals(2, plan.resumed());
      assertEquals(1, plan.skipped());
      assertEquals(7, plan.remaining());
      assertEquals(3, plan.commits());
      List<List<Long>> got = new ArrayList<>();
      List<Integer> indexes = new ArrayList<>();
      while (plan.hasNext()) {
        Commit c = plan.next();
        indexes.add(c.index());
        List<Long> ids = c.partitioned(2).map(r -> r.getLong(0)).collect();
        assertEquals(c.images(), ids.size());
        got.add(ids);
      }
      assertEquals(List.of(4, 5, 6), indexes);
      assertEquals(List.of(
          List.of(id(in, 0), id(in, 1), id(in, 3)),
          List.of(id(in, 4), id(in, 6), id(in, 8)),
          List.of(id(in, 9))), got);
    }
  }

  @Test
  void everythingCommittedLeavesNoCommit() {
    List<Row> in = input(4);
    long[] all = SortedIds.sortedDistinct(in.stream().mapToLong(r -> r.getLong(0)).toArray(), 4);
    try (CommitPlan plan = CommitPlan.listed(TestSpark.session(), in, all, SortedIds.none(), 2, 0)) {
      assertEquals(4, plan.resumed());
      assertEquals(0, plan.commits());
      assertFalse(plan.hasNext());
    }
  }

  @Test
  void tableInputIsPlannedInSparkWithFixedCommitIndexes() {
    SparkSession spark = TestSpark.session();
    List<Row> in = input(25);
    Dataset<Row> table = spark.createDataFrame(in, InputResolver.SCHEMA).repartition(3);
    Dataset<Row> committed = spark.createDataFrame(
        List.of(RowFactory.create(id(in, 0)), RowFactory.create(id(in, 10)), RowFactory.create(id(in, 10)),
            RowFactory.create(99_999L)), IDS);
    Dataset<Row> skipped = spark.createDataFrame(List.of(RowFactory.create(id(in, 3))), IDS);
    try (CommitPlan plan = CommitPlan.table(spark, table, committed, skipped, 4, 2)) {
      assertEquals(2, plan.resumed());
      assertEquals(1, plan.skipped());
      assertEquals(22, plan.remaining());
      assertEquals(6, plan.commits());
      Set<Long> seen = new HashSet<>();
      int expectedIndex = 2;
      long total = 0;
      while (plan.hasNext()) {
        Commit c = plan.next();
        assertEquals(expectedIndex++, c.index());
        // asked twice: the same rows (the numbering is cached, not recomputed)
        List<Long> ids = c.partitioned(3).map(r -> r.getLong(0)).collect();
        assertEquals(new HashSet<>(ids), new HashSet<>(c.partitioned(1).map(r -> r.getLong(0)).collect()));
        assertEquals(c.images(), ids.size());
        assertTrue(ids.size() <= 4);
        for (long id : ids) {
          assertTrue(seen.add(id), "image " + id + " in two commits");
        }
        total += ids.size();
        for (Row r : c.partitioned(1).collect()) {
          // the reason a path is refused travels with it to the task
          int i = Integer.parseInt(r.getString(1).replaceAll("\\D", ""));
          assertEquals(i % 5 == 4 ? "refused " + i : null, r.getString(2));
        }
      }
      assertEquals(22, total);
      assertFalse(seen.contains(id(in, 0)) || seen.contains(id(in, 10)) || seen.contains(id(in, 3)));
    }
  }

  @Test
  void sortedIdsCollectsDistinctIdsFromSpark() {
    SparkSession spark = TestSpark.session();
    List<Row> rows = new ArrayList<>();
    LongStream.of(5, 3, 5, 9, 1, 3).forEach(v -> rows.add(RowFactory.create(v)));
    long[] ids = SortedIds.collect(spark.createDataFrame(rows, IDS).repartition(3));
    assertArrayEquals(new long[] {1, 3, 5, 9}, ids);
    assertTrue(SortedIds.contains(ids, 9));
    assertFalse(SortedIds.contains(ids, 4));
    assertFalse(SortedIds.contains(SortedIds.none(), 4));
  }
}
