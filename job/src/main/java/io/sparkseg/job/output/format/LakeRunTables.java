package io.sparkseg.job.output.format;

import static io.sparkseg.job.output.format.TableSchemas.COMMIT;
import static io.sparkseg.job.output.format.TableSchemas.IMAGES;
import static io.sparkseg.job.output.format.TableSchemas.INSTANCES;
import static io.sparkseg.job.output.format.TableSchemas.RUNS;
import static io.sparkseg.job.output.format.TableSchemas.RUN_ID;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Delta and Iceberg share: tables with transactions, partitioned by run_id. A commit is one
 * append per table; orphans go in one MERGE ... DELETE; a run's rows (runs row, published replace)
 * are replaced in one overwrite of the run's rows per table. The formats supply the writes.
 */
abstract class LakeRunTables implements RunTables {
  private static final Logger LOG = LoggerFactory.getLogger(LakeRunTables.class);

  protected final SparkSession spark;

  LakeRunTables(SparkSession spark) {
    this.spark = spark;
  }

  /** The table's name in SQL. */
  abstract String ident(String table);

  /** The table's current rows. */
  abstract Dataset<Row> read(String table);

  /**
   * One append transaction, identified by (run, attempt, table, commit): a no-op when this
   * identity was already appended.
   */
  abstract void append(String table, Dataset<Row> rows, String runId, String attempt, int commit);

  /** One transaction replacing the run's rows of {@code table} by {@code rows} (possibly none). */
  abstract void replaceRun(String table, String runId, Dataset<Row> rows);

  /** Where replace attempts stage their commits (hidden from the tables' readers). */
  abstract Path stagingRoot();

  @Override
  public void appendCommit(String runId, String attempt, int commit, Dataset<Row> instances, Dataset<Row> images) {
    TableRows.checkRunId(runId);
    TableRows.checkAttempt(attempt);
    TableRows.checkCommit(commit);
    append(INSTANCES, TableRows.conform(INSTANCES, instances, runId, commit), runId, attempt, commit);
    append(IMAGES, TableRows.conform(IMAGES, images, runId, commit), runId, attempt, commit);
  }

  @Override
  public void dropOrphans(String runId) {
    TableRows.checkRunId(runId);
    Dataset<Row> orphans = ofRun(read(INSTANCES), runId).select("image_id").distinct()
        .join(ofRun(read(IMAGES), runId).select("image_id"), "image_id", "left_anti");
    if (orphans.isEmpty()) {
      return;
    }
    String view = "sparkseg_orphans_" + UUID.randomUUID().toString().replace("-", "");
    orphans.createOrReplaceTempView(view);
    try {
      spark.sql("MERGE INTO " + ident(INSTANCES) + " t USING " + view + " o ON t." + RUN_ID + " = "
          + TableRows.sqlString(runId) + " AND t.image_id = o.image_id WHEN MATCHED THEN DELETE");
      LOG.info("deleted the instances of run {} left without images by a dead attempt", runId);
    } finally {
      spark.catalog().dropTempView(view);
    }
  }

  @Override
  public Dataset<Row> images(String runId) {
    TableRows.checkRunId(runId);
    return TableRows.ordered(ofRun(read(IMAGES), runId), TableSchemas.IMAGES_TABLE);
  }

  @Override
  public Dataset<Row> instances(String runId) {
    TableRows.checkRunId(runId);
    // orphans, until dropOrphans removes them, belong to the commit after the last committed one
    return TableRows.ordered(ofRun(read(INSTANCES), runId).where(col(COMMIT).leq(lastCommit(runId))),
        TableSchemas.INSTANCES_TABLE);
  }

  @Override
  public Dataset<Row> allImages() {
    return TableRows.ordered(read(IMAGES), TableSchemas.IMAGES_TABLE);
  }

  @Override
  public int lastCommit(String runId) {
    TableRows.checkRunId(runId);
    Row r = ofRun(read(IMAGES), runId).agg(max(col(COMMIT))).first();
    return r.isNullAt(0) ? -1 : r.getInt(0);
  }

  @Override
  public Optional<Row> run(String runId) {
    TableRows.checkRunId(runId);
    List<Row> rows = TableRows.ordered(ofRun(read(RUNS), runId), TableSchemas.RUNS_TABLE).collectAsList();
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  @Override
  public void putRun(Row run) {
    Dataset<Row> row = TableRows.runRow(spark, run);
    replaceRun(RUNS, TableRows.runIdOf(run), row);
  }

  @Override
  public Dataset<Row> runs() {
    return TableRows.ordered(read(RUNS), TableSchemas.RUNS_TABLE);
  }

  @Override
  public Staging stage(String runId, String attempt) {
    Path root = stagingRoot();
    return new FolderStaging(spark, root, runId, attempt, (staged, id) -> {
      replaceRun(INSTANCES, id, staged.read(INSTANCES, id));
      replaceRun(IMAGES, id, staged.read(IMAGES, id));
    });
  }

  static Dataset<Row> ofRun(Dataset<Row> rows, String runId) {
    return rows.where(col(RUN_ID).equalTo(runId));
  }
}
