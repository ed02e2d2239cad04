package io.sparkseg.job.output.format;

import static io.sparkseg.job.output.format.TableSchemas.RUN_ID;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.row_number;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;

/**
 * The Parquet {@code runs} table: {@code DIR/runs/run_id=ID/part-SEQ.parquet}, one file per run.
 * An update writes a new file with a higher sequence number, then deletes the older ones; a reader
 * in between sees two rows of the run and keeps the newer ({@code updated_at}, then the sequence).
 */
final class RunsFolder {
  private static final String PART = "part-";
  private static final String SUFFIX = ".parquet";

  private final SparkSession spark;
  private final Path dir;

  RunsFolder(SparkSession spark, Path dir) {
    this.spark = spark;
    this.dir = dir;
  }

  void put(Row run) {
    Dataset<Row> row = TableRows.runRow(spark, run);
    String runId = TableRows.runIdOf(run);
    Path runDir = new Path(dir, RUN_ID + "=" + runId);
    Path tmp = new Path(dir, "_tmp/" + runId + "-" + UUID.randomUUID());
    FileSystem fs = fs();
    try {
      FileStatus[] older = parts(fs, runDir);
      long seq = 0;
      for (FileStatus s : older) {
        seq = Math.max(seq, seqOf(s.getPath()) + 1);
      }
      row.drop(RUN_ID).coalesce(1).write().mode(SaveMode.ErrorIfExists).parquet(tmp.toString());
      Path written = parts(fs, tmp)[0].getPath();
      fs.mkdirs(runDir);
      Path target = new Path(runDir, String.format("%s%019d%s", PART, seq, SUFFIX));
      if (!fs.rename(written, target)) {
        throw new IOException("rename " + written + " -> " + target + " failed");
      }
      for (FileStatus s : older) {
        fs.delete(s.getPath(), false);
      }
      fs.delete(tmp, true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the runs row of run " + runId + " under " + dir, e);
    }
  }

  Optional<Row> get(String runId) {
    List<Row> rows = all().where(col(RUN_ID).equalTo(runId)).collectAsList();
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  Dataset<Row> all() {
    try {
      if (!fs().exists(dir)) {
        return TableRows.empty(spark, TableSchemas.RUNS_TABLE);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach " + dir, e);
    }
    Dataset<Row> rows = spark.read().schema(TableSchemas.RUNS_TABLE).parquet(dir.toString());
    // a reader between an update's two steps sees two files of the run: the newer wins
    Dataset<Row> newest = rows
        .withColumn("_rank", row_number().over(Window.partitionBy(RUN_ID)
            .orderBy(col("updated_at").desc_nulls_last(), col("_metadata.file_name").desc())))
        .where(col("_rank").equalTo(1));
    return TableRows.ordered(newest, TableSchemas.RUNS_TABLE);
  }

  private FileSystem fs() {
    try {
      return dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach " + dir, e);
    }
  }

  private static FileStatus[] parts(FileSystem fs, Path folder) throws IOException {
    FileStatus[] found = fs.globStatus(new Path(folder, PART + "*" + SUFFIX));
    return found == null ? new FileStatus[0] : found;
  }

  private static long seqOf(Path part) {
    String name = part.getName();
    try {
      return Long.parseLong(name.substring(PART.length(), name.length() - SUFFIX.length()));
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      return -1;
    }
  }
}
