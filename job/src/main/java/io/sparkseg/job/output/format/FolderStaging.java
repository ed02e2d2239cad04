package io.sparkseg.job.output.format;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.BiConsumer;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A replace attempt's commits as Parquet commit folders under
 * {@code stagingRoot/RUN/ATTEMPT/} (every format stages this way); publishing hands the complete
 * commits to the format.
 */
final class FolderStaging implements Staging {
  private final CommitFolders staged;
  private final String runId;
  private final String attempt;
  private final BiConsumer<CommitFolders, String> publisher;

  /**
   * Stages into {@code stagingRoot/runId/attempt}, after deleting what other attempts staged for
   * the run; {@code publisher} makes the staged commits the run's rows.
   */
  FolderStaging(SparkSession spark, Path stagingRoot, String runId, String attempt,
      BiConsumer<CommitFolders, String> publisher) {
    TableRows.checkRunId(runId);
    TableRows.checkAttempt(attempt);
    Path runStaging = new Path(stagingRoot, runId);
    this.staged = new CommitFolders(spark, new Path(runStaging, attempt));
    this.runId = runId;
    this.attempt = attempt;
    this.publisher = publisher;
    deleteOthers(runStaging);
  }

  private void deleteOthers(Path runStaging) {
    FileSystem fs = staged.fs();
    try {
      if (!fs.exists(runStaging)) {
        return;
      }
      for (FileStatus s : fs.listStatus(runStaging)) {
        if (!s.getPath().getName().equals(attempt)) {
          fs.delete(s.getPath(), true);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean the staging folder " + runStaging, e);
    }
  }

  @Override
  public void appendCommit(int commit, Dataset<Row> instances, Dataset<Row> images) {
    TableRows.checkCommit(commit);
    staged.append(runId, commit, instances, images);
  }

  @Override
  public void publish() {
    staged.dropOrphans(runId);
    publisher.accept(staged, runId);
    discard();
  }

  @Override
  public void discard() {
    staged.deleteAll();
  }
}
