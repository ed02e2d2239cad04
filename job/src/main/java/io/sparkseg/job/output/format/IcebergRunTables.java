package io.sparkseg.job.output.format;

import static io.sparkseg.job.output.format.TableSchemas.IMAGES;
import static io.sparkseg.job.output.format.TableSchemas.INSTANCES;
import static io.sparkseg.job.output.format.TableSchemas.RUNS;
import static io.sparkseg.job.output.format.TableSchemas.RUN_ID;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.spark.Spark3Util;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.NoSuchTableException;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Apache Iceberg tables {@code CATALOG.NAMESPACE.instances|images|runs}, partitioned by run_id
 * (identity). Every write carries the snapshot properties {@code sparkseg.run-id},
 * {@code sparkseg.attempt} and {@code sparkseg.commit}: the snapshot log tells which commits an
 * attempt appended, so appending one again is skipped. A run's rows are replaced with
 * {@code overwrite(run_id = 'RUN')} (unlike overwritePartitions, it also empties the run when
 * nothing replaces it). Replace attempts stage under the images table's location, in
 * {@code _sparkseg_staging/} (Iceberg reads only the files its metadata lists).
 */
final class IcebergRunTables extends LakeRunTables {
  private static final Logger LOG = LoggerFactory.getLogger(IcebergRunTables.class);
  private static final Pattern PART = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  static final String PROPERTY = "snapshot-property.";
  static final String RUN_PROPERTY = "sparkseg.run-id";
  static final String ATTEMPT_PROPERTY = "sparkseg.attempt";
  static final String COMMIT_PROPERTY = "sparkseg.commit";

  private final String namespace;

  /** The tables of {@code namespace} (quoted) as they are ({@link #open} creates missing ones). */
  IcebergRunTables(SparkSession spark, String namespace) {
    super(spark);
    this.namespace = namespace;
  }

  /** {@code output}: CATALOG.NAMESPACE, the catalog configured in the session. */
  static IcebergRunTables open(SparkSession spark, String output) {
    String[] parts = output == null ? new String[0] : output.split("\\.", -1);
    if (parts.length < 2 || !Arrays.stream(parts).allMatch(p -> PART.matcher(p).matches())) {
      throw new IllegalArgumentException("--output '" + output + "' is not CATALOG.NAMESPACE: with --table-format iceberg "
          + "the output names a Spark catalog and a namespace in it, e.g. local.sparkseg (conf/iceberg-local.properties)");
    }
    String catalogKey = "spark.sql.catalog." + parts[0];
    if (!spark.conf().contains(catalogKey)) {
      throw new IllegalArgumentException("--output '" + output + "': Spark catalog '" + parts[0] + "' is not configured: set "
          + catalogKey + "=org.apache.iceberg.spark.SparkCatalog and its type and warehouse (example: conf/iceberg-local.properties)");
    }
    String ns = Arrays.stream(parts).map(p -> "`" + p + "`").collect(Collectors.joining("."));
    spark.sql("CREATE NAMESPACE IF NOT EXISTS " + ns);
    IcebergRunTables t = new IcebergRunTables(spark, ns);
    for (Map.Entry<String, StructType> e : Map.of(INSTANCES, TableSchemas.INSTANCES_TABLE, IMAGES,
        TableSchemas.IMAGES_TABLE, RUNS, TableSchemas.RUNS_TABLE).entrySet()) {
      spark.sql("CREATE TABLE IF NOT EXISTS " + t.ident(e.getKey()) + " (" + e.getValue().toDDL()
          + ") USING iceberg PARTITIONED BY (" + RUN_ID + ")");
    }
    return t;
  }

  @Override
  public TableFormat format() {
    return TableFormat.ICEBERG;
  }

  @Override
  String ident(String table) {
    return namespace + ".`" + table + "`";
  }

  @Override
  Dataset<Row> read(String table) {
    return spark.table(ident(table));
  }

  /** The Iceberg table behind {@code table}, as of now. */
  Table table(String table) {
    try {
      Table t = Spark3Util.loadIcebergTable(spark, ident(table));
      t.refresh();
      return t;
    } catch (Exception e) {
      throw new IllegalStateException("cannot load the Iceberg table " + ident(table), e);
    }
  }

  @Override
  void append(String table, Dataset<Row> rows, String runId, String attempt, int commit) {
    for (Snapshot s : table(table).snapshots()) {
      Map<String, String> sum = s.summary();
      if (runId.equals(sum.get(RUN_PROPERTY)) && attempt.equals(sum.get(ATTEMPT_PROPERTY))
          && String.valueOf(commit).equals(sum.get(COMMIT_PROPERTY))) {
        LOG.info("{} commit {} of run {} (attempt {}) is already snapshot {}: not appended again",
            table, commit, runId, attempt, s.snapshotId());
        return;
      }
    }
    try {
      rows.writeTo(ident(table)).options(properties(runId, attempt, commit)).append();
    } catch (NoSuchTableException e) {
      throw missing(table, e);
    }
  }

  @Override
  void replaceRun(String table, String runId, Dataset<Row> rows) {
    try {
      rows.writeTo(ident(table)).options(properties(runId, null, -1)).overwrite(col(RUN_ID).equalTo(lit(runId)));
    } catch (NoSuchTableException e) {
      throw missing(table, e);
    }
  }

  private IllegalStateException missing(String table, NoSuchTableException e) {
    return new IllegalStateException("the Iceberg table " + ident(table) + " was dropped while the run was writing it", e);
  }

  private static Map<String, String> properties(String runId, String attempt, int commit) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(PROPERTY + RUN_PROPERTY, runId);
    if (attempt != null) {
      m.put(PROPERTY + ATTEMPT_PROPERTY, attempt);
      m.put(PROPERTY + COMMIT_PROPERTY, String.valueOf(commit));
    }
    return m;
  }

  @Override
  Path stagingRoot() {
    return new Path(table(IMAGES).location(), "_sparkseg_staging");
  }
}
