package io.sparkseg.job.output.format;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.sparkseg.job.output.OutputLayout;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** Rows as the tables take them, and the checks and literals every format needs. */
public final class TableRows {
  private TableRows() {}

  /**
   * {@code rows} with exactly the columns of {@code table} in its order and types, run_id set to
   * {@code runId} and the commit column to {@code commit}.
   */
  static Dataset<Row> conform(String table, Dataset<Row> rows, String runId, int commit) {
    StructType schema = TableSchemas.resultTable(table);
    Column[] cols = Arrays.stream(schema.fields()).map(f -> switch (f.name()) {
      case TableSchemas.RUN_ID -> lit(runId).as(f.name());
      case TableSchemas.COMMIT -> lit(commit).as(f.name());
      default -> col(f.name()).cast(f.dataType()).as(f.name());
    }).toArray(Column[]::new);
    return rows.select(cols);
  }

  /** {@code rows} with the columns of {@code schema} in its order. */
  static Dataset<Row> ordered(Dataset<Row> rows, StructType schema) {
    return rows.select(Arrays.stream(schema.fieldNames()).map(n -> col(n)).toArray(Column[]::new));
  }

  static Dataset<Row> empty(SparkSession spark, StructType schema) {
    return spark.createDataFrame(List.<Row>of(), schema);
  }

  /** One runs row as a Dataset, after checking it has the runs table's shape. */
  static Dataset<Row> runRow(SparkSession spark, Row run) {
    StructType schema = TableSchemas.RUNS_TABLE;
    if (run.size() != schema.size()) {
      throw new IllegalArgumentException("a runs row has " + schema.size() + " columns (" + String.join(", ", schema.fieldNames())
          + "), this one has " + run.size());
    }
    if (run.schema() != null && !Arrays.equals(run.schema().fieldNames(), schema.fieldNames())) {
      throw new IllegalArgumentException("a runs row has the columns " + String.join(", ", schema.fieldNames())
          + ", this one has " + String.join(", ", run.schema().fieldNames()));
    }
    checkRunId(runIdOf(run));
    return spark.createDataFrame(List.of(run), schema);
  }

  static String runIdOf(Row run) {
    return run.getString(run.schema() != null ? run.fieldIndex(TableSchemas.RUN_ID) : 0);
  }

  /** A run id is a partition value and part of file names: refuse anything else. */
  static void checkRunId(String runId) {
    if (!OutputLayout.validRunId(runId)) {
      throw new IllegalArgumentException("run id '" + runId + "' is not usable: [A-Za-z0-9][A-Za-z0-9._-]*, at most 128 characters");
    }
  }

  /** An attempt id names a staging folder and a Delta transaction id: same rule as run ids. */
  static void checkAttempt(String attempt) {
    if (!OutputLayout.validRunId(attempt)) {
      throw new IllegalArgumentException("attempt id '" + attempt + "' is not usable: [A-Za-z0-9][A-Za-z0-9._-]*, at most 128 characters");
    }
  }

  static void checkCommit(int commit) {
    if (commit < 0) {
      throw new IllegalArgumentException("commit index " + commit + " is negative");
    }
  }

  /** {@code value} as a SQL string literal. */
  public static String sqlString(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /** The SQL condition selecting one run's rows. */
  static String runCondition(String runId) {
    return TableSchemas.RUN_ID + " = " + sqlString(runId);
  }
}
