package io.sparkseg.job.output;

import io.sparkseg.job.output.format.TableSchemas;
import io.sparkseg.tables.ImagesTable;
import io.sparkseg.tables.InstancesTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Registers the Parquet output as external (unmanaged) tables {@code DB.instances} and
 * {@code DB.images} partitioned by {@code run_id} and {@code commit} in the session's catalog (the
 * Hive metastore when Hive support is on), creating the database and tables on first use and adding
 * the run's complete commits as partitions each time. A table registered by an earlier sparkseg gets
 * the columns added since (read as null in its older partitions). Dropping the tables never deletes
 * the files.
 */
public final class TableRegistrar {
  private TableRegistrar() {}

  /** Creates/updates both tables and adds {@code runId}'s partition; returns the table names. */
  public static List<String> register(SparkSession spark, String database, OutputLayout layout, String runId) {
    if (!database.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("--register-tables needs a plain database name, got '" + database + "'");
    }
    spark.sql("CREATE DATABASE IF NOT EXISTS `" + database + "`");
    List<String> names = new ArrayList<>();
    List<Integer> commits = completeCommits(spark, layout, runId);
    names.add(registerOne(spark, database, InstancesTable.NAME, TableSchemas.INSTANCES_TABLE, layout.instances(), runId,
        commits));
    names.add(registerOne(spark, database, ImagesTable.NAME, TableSchemas.IMAGES_TABLE, layout.images(), runId,
        commits));
    return names;
  }

  /** The run's commits whose images folder is complete (holds _SUCCESS). */
  private static List<Integer> completeCommits(SparkSession spark, OutputLayout layout, String runId) {
    Path pattern = new Path(layout.images() + "/" + TableSchemas.RUN_ID + "=" + runId + "/" + TableSchemas.COMMIT
        + "=*/_SUCCESS");
    List<Integer> out = new ArrayList<>();
    try {
      FileStatus[] found = pattern.getFileSystem(spark.sparkContext().hadoopConfiguration()).globStatus(pattern);
      for (FileStatus f : found == null ? new FileStatus[0] : found) {
        out.add(Integer.parseInt(f.getPath().getParent().getName().substring(TableSchemas.COMMIT.length() + 1)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the commits of run " + runId + " under " + layout.images(), e);
    }
    return out;
  }

  private static String registerOne(SparkSession spark, String db, String table, StructType schema, String location,
      String runId, List<Integer> commits) {
    String name = "`" + db + "`.`" + table + "`";
    if (spark.catalog().tableExists(db, table)) {
      String existing = location(spark, name);
      String wanted = new org.apache.hadoop.fs.Path(location).toUri().toString();
      if (existing != null && !sameLocation(existing, wanted)) {
        throw new IllegalStateException("table " + db + "." + table + " already exists at " + existing
            + ", not at " + wanted + "; drop it or register into another database");
      }
      List<String> partitionColumns = new ArrayList<>();
      try {
        for (org.apache.spark.sql.catalog.Column col : spark.catalog().listColumns(db, table).collectAsList()) {
          if (col.isPartition()) {
            partitionColumns.add(col.name());
          }
        }
      } catch (org.apache.spark.sql.AnalysisException e) {
        throw new IllegalStateException("cannot read the columns of " + db + "." + table + ": " + e.getMessage(), e);
      }
      if (!partitionColumns.equals(List.of(TableSchemas.RUN_ID, TableSchemas.COMMIT))) {
        throw new IllegalStateException("table " + db + "." + table + " is partitioned by " + partitionColumns
            + ", the layout before commits; drop it (the files stay) and register again, or use another database");
      }
      addMissingColumns(spark, name, schema, spark.table(name).schema());
    } else {
      spark.sql("CREATE TABLE " + name + " (" + nullableDdl(schema) + ") USING parquet PARTITIONED BY (run_id, "
          + "`commit`) LOCATION '" + location.replace("'", "\\'") + "'");
    }
    for (int k : commits) {
      spark.sql("ALTER TABLE " + name + " ADD IF NOT EXISTS PARTITION (run_id='" + runId + "', `commit`=" + k + ")");
    }
    spark.sql("REFRESH TABLE " + name);
    return db + "." + table;
  }

  /** Columns of {@code wanted} that the existing table lacks, added at the end of its data columns. */
  private static void addMissingColumns(SparkSession spark, String name, StructType wanted, StructType existing) {
    java.util.Set<String> have = new java.util.HashSet<>(java.util.Arrays.asList(existing.fieldNames()));
    List<StructField> missing = new ArrayList<>();
    for (StructField f : wanted.fields()) {
      if (!have.contains(f.name())) {
        missing.add(f);
      }
    }
    if (!missing.isEmpty()) {
      spark.sql("ALTER TABLE " + name + " ADD COLUMNS (" + nullableDdl(new StructType(missing.toArray(new StructField[0])))
          + ")");
    }
  }

  private static String location(SparkSession spark, String name) {
    for (Row r : spark.sql("DESCRIBE TABLE EXTENDED " + name).collectAsList()) {
      if ("Location".equals(r.getString(0))) {
        return r.getString(1);
      }
    }
    return null;
  }

  private static boolean sameLocation(String a, String b) {
    return strip(a).equals(strip(b));
  }

  private static String strip(String s) {
    String t = s.replaceFirst("^file:///", "file:/");
    while (t.endsWith("/")) {
      t = t.substring(0, t.length() - 1);
    }
    return t;
  }

  /** The column list of a CREATE TABLE / ADD COLUMNS statement for {@code schema}, every column nullable. */
  static String nullableDdl(StructType schema) {
    StringBuilder sb = new StringBuilder();
    for (StructField f : schema.fields()) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append('`').append(f.name()).append("` ").append(f.dataType().sql());
    }
    return sb.toString();
  }
}
