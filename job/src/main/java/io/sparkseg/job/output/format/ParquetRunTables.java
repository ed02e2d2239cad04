package io.sparkseg.job.output.format;

import static io.sparkseg.job.output.format.TableSchemas.IMAGES;
import static io.sparkseg.job.output.format.TableSchemas.INSTANCES;
import static io.sparkseg.job.output.format.TableSchemas.RUNS;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Plain Parquet folders under {@code DIR}: {@code instances} and {@code images} as
 * {@link CommitFolders}, {@code runs} as a {@link RunsFolder}, replace attempts staged under
 * {@code DIR/_staging/} (hidden from readers: Spark skips names starting with {@code _}) and
 * published by swapping each table's {@code run_id=ID} folder: two renames per table on file:// and
 * hdfs://, a copy on s3a:// (atomic replace on S3 needs Delta or Iceberg).
 */
final class ParquetRunTables implements RunTables {
  static final String STAGING = "_staging";

  private final CommitFolders tables;
  private final RunsFolder runs;

  ParquetRunTables(SparkSession spark, String output) {
    if (output == null || output.isBlank()) {
      throw new IllegalArgumentException("--output is empty: the folder the parquet tables go to");
    }
    Path root = new Path(output);
    this.tables = new CommitFolders(spark, root);
    this.runs = new RunsFolder(spark, new Path(root, RUNS));
  }

  @Override
  public TableFormat format() {
    return TableFormat.PARQUET;
  }

  @Override
  public void appendCommit(String runId, String attempt, int commit, Dataset<Row> instances, Dataset<Row> images) {
    TableRows.checkRunId(runId);
    TableRows.checkAttempt(attempt);
    TableRows.checkCommit(commit);
    tables.append(runId, commit, instances, images);
  }

  @Override
  public void dropOrphans(String runId) {
    TableRows.checkRunId(runId);
    tables.dropOrphans(runId);
  }

  @Override
  public Dataset<Row> images(String runId) {
    TableRows.checkRunId(runId);
    return tables.read(IMAGES, runId);
  }

  @Override
  public Dataset<Row> instances(String runId) {
    TableRows.checkRunId(runId);
    return tables.read(INSTANCES, runId);
  }

  @Override
  public Dataset<Row> allImages() {
    return tables.readAllImages();
  }

  @Override
  public int lastCommit(String runId) {
    TableRows.checkRunId(runId);
    var done = tables.complete(IMAGES, runId);
    return done.isEmpty() ? -1 : done.last();
  }

  @Override
  public Optional<Row> run(String runId) {
    TableRows.checkRunId(runId);
    return runs.get(runId);
  }

  @Override
  public void putRun(Row run) {
    runs.put(run);
  }

  @Override
  public Dataset<Row> runs() {
    return runs.all();
  }

  @Override
  public Staging stage(String runId, String attempt) {
    return new FolderStaging(tables.spark(), new Path(tables.root(), STAGING), runId, attempt, this::swapIn);
  }

  /** Each table's run folder replaced by the staged one, instances first. */
  private void swapIn(CommitFolders staged, String runId) {
    FileSystem fs = tables.fs();
    for (String table : List.of(INSTANCES, IMAGES)) {
      Path live = tables.runDir(table, runId);
      Path next = staged.runDir(table, runId);
      Path replaced = new Path(staged.root(), "_replaced/" + table);
      try {
        if (!fs.exists(next)) {
          fs.mkdirs(next); // a run without commits replaces the old one by nothing
        }
        fs.mkdirs(live.getParent());
        fs.mkdirs(replaced.getParent());
        if (fs.exists(live) && !fs.rename(live, replaced)) {
          throw new IOException("rename " + live + " -> " + replaced + " failed");
        }
        if (!fs.rename(next, live)) {
          throw new IOException("rename " + next + " -> " + live + " failed");
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot publish the staged " + table + " of run " + runId, e);
      }
    }
  }
}
