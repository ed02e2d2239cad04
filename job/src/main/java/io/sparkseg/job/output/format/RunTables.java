package io.sparkseg.job.output.format;

import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The run tables of one output in one {@link TableFormat}: {@code instances} and {@code images}
 * grow by one transaction per table per commit, {@code runs} holds one row per run id.
 *
 * <p>The {@code images} table is the truth of what is committed: an image of a run is committed iff
 * it has an {@code images} row in the run's published data. A commit writes instances first, then
 * images, so a crash in between leaves instances without images ({@link #dropOrphans} removes them).
 */
public interface RunTables {

  /**
   * The tables of {@code output}: a folder for parquet and delta (tables {@code output/instances},
   * {@code output/images}, {@code output/runs}), {@code CATALOG.NAMESPACE} for iceberg. Delta and
   * Iceberg tables (and the Iceberg namespace) are created if missing, partitioned by run_id.
   */
  static RunTables open(SparkSession spark, TableFormat format, String output) {
    return switch (format) {
      case PARQUET -> new ParquetRunTables(spark, output);
      case DELTA -> DeltaRunTables.open(spark, output);
      case ICEBERG -> IcebergRunTables.open(spark, output);
    };
  }

  TableFormat format();

  /**
   * Adds commit {@code commit} of {@code runId}: {@code instances} rows (columns of
   * {@link io.sparkseg.tables.InstancesTable#SCHEMA}) in one transaction, then {@code images}
   * rows ({@link io.sparkseg.tables.ImagesTable#SCHEMA}) in another; run_id is set to
   * {@code runId} and the commit column to {@code commit}. {@code attempt} identifies this invocation
   * and must differ between attempts (a resumed attempt reuses the index of a commit a dead attempt
   * left half-written). Re-adding a commit this attempt already added is a no-op (Delta: txnAppId
   * {@code sparkseg:RUN:ATTEMPT:TABLE}, txnVersion = commit; Iceberg: the snapshot properties
   * {@code sparkseg.run-id/attempt/commit}; Parquet: the images commit folder is complete).
   */
  void appendCommit(String runId, String attempt, int commit, Dataset<Row> instances, Dataset<Row> images);

  /**
   * Removes what a crash between a commit's two writes (or during one) left: instances of the run
   * without images (Delta, Iceberg: one transaction, none when there are none); Parquet: commit
   * folders without {@code _SUCCESS} and instances commits whose images commit is not complete.
   */
  void dropOrphans(String runId);

  /** The run's committed images rows ({@link TableSchemas#IMAGES_TABLE}). */
  Dataset<Row> images(String runId);

  /** The run's committed instances rows ({@link TableSchemas#INSTANCES_TABLE}). */
  Dataset<Row> instances(String runId);

  /** Every run's committed images rows (what an incremental run may skip). */
  Dataset<Row> allImages();

  /** The run's highest committed commit index, -1 when it has none. */
  int lastCommit(String runId);

  /** The run's row of {@code runs} ({@link TableSchemas#RUNS_TABLE}), if any. */
  Optional<Row> run(String runId);

  /** Writes {@code run} (a {@link TableSchemas#RUNS_TABLE} row) as its run id's only row. */
  void putRun(Row run);

  /** Every run's row. */
  Dataset<Row> runs();

  /**
   * A hidden staging area for a replace of {@code runId} by attempt {@code attempt}; readers keep
   * seeing the run's current rows until {@link Staging#publish()}. Staging areas other attempts
   * left for this run are deleted (the caller holds the run's lock, so their writers are gone).
   */
  Staging stage(String runId, String attempt);
}
