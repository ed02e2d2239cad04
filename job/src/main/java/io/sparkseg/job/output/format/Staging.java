package io.sparkseg.job.output.format;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** The commits of a replace attempt, invisible to readers of the tables until {@link #publish()}. */
public interface Staging {

  /** As {@link RunTables#appendCommit}, into the staging area. */
  void appendCommit(int commit, Dataset<Row> instances, Dataset<Row> images);

  /**
   * Makes the staged commits the run's rows in one step per table (instances, then images): the
   * run's earlier rows are gone, other runs' rows untouched. Removes the staging area.
   */
  void publish();

  /** Removes the staging area without publishing. */
  void discard();
}
