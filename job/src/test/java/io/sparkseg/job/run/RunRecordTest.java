package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.sparkseg.compat.ScalaApi;
import io.sparkseg.job.output.format.TableSchemas;
import java.sql.Timestamp;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.junit.jupiter.api.Test;

/** The driver's copy of the runs row: continued on resume, reset on replace, reconciled with the tables. */
class RunRecordTest {
  private static final RunRecord.Model MODEL = new RunRecord.Model("m", "1", "abc");
  private static final Timestamp T0 = Timestamp.valueOf("2026-12-06 10:00:00");

  private static Row entry(int k, String attempt, long images, long instances) {
    return RowFactory.create(k, attempt, images, instances, images, 0L, T0);
  }

  private static Row stored() {
    Object[] v = new Object[TableSchemas.RUNS_TABLE.size()];
    v[0] = "r";
    v[1] = "running";
    v[4] = 1;
    v[17] = T0;
    v[20] = ScalaApi.asScala(List.of(entry(0, "a1", 20, 7), entry(1, "a1", 20, 5)));
    return new GenericRowWithSchema(v, TableSchemas.RUNS_TABLE);
  }

  @Test
  void aResumeKeepsTheStartAndTheCommitsAndCountsTheAttempt() {
    RunRecord r = RunRecord.begin("r", RunMode.AUTO, "a2", Optional.of(stored()), MODEL, "in", "parquet", 20, 100);
    assertEquals(2, r.attempts);
    assertEquals(T0.toInstant(), r.startedAt);
    assertEquals(2, r.commitCount());
    assertEquals(12, r.instances);
    r.committed(2, 20, 3, 19, 1);
    Row row = r.toRow();
    assertEquals(TableSchemas.RUNS_TABLE.size(), row.size());
    assertEquals(3, row.getList(20).size());
    assertEquals(15L, row.getLong(16));
    assertEquals(20L, row.getLong(14), "computed by this attempt");
    assertNull(row.get(19), "not finished");
  }

  @Test
  void aReplaceStartsWithoutCommits() {
    RunRecord r = RunRecord.begin("r", RunMode.REPLACE, "a2", Optional.of(stored()), MODEL, "in", "parquet", 20, 100);
    assertEquals(2, r.attempts);
    assertEquals(0, r.commitCount());
    assertEquals(0, r.instances);
  }

  @Test
  void reconcilingAddsCommitsTheRowMissedAndDropsOnesTheTablesLack() {
    RunRecord r = RunRecord.begin("r", RunMode.AUTO, "a2", Optional.of(stored()), MODEL, "in", "parquet", 20, 100);
    // the tables hold commits 0 and 2 (a crash cut off commit 2's row update; commit 1 is not committed)
    r.reconcile(List.of(RowFactory.create(0, 20L, 7L, 20L), RowFactory.create(2, 20L, 4L, 18L)));
    List<Row> commits = r.toRow().getList(20);
    assertEquals(2, commits.size());
    assertEquals("a1", commits.get(0).getString(1));
    assertEquals(2, commits.get(1).getInt(0));
    assertNull(commits.get(1).get(1), "attempt unknown");
    assertEquals(2L, commits.get(1).getLong(5), "failed");
    assertEquals(11, r.instances);
  }
}
