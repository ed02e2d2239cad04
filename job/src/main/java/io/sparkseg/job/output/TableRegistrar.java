package io.sparkseg.job.output;

import io.sparkseg.job.output.format.TableFormat;
import io.sparkseg.job.output.format.TableRows;
import io.sparkseg.job.output.format.TableSchemas;
import io.sparkseg.tables.ImagesTable;
import io.sparkseg.tables.InstancesTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * {@code --register-tables DB}: the run's {@code instances} and {@code images} by name in the
 * session's catalog (the Hive metastore when Hive support is on) as {@code DB.instances} and
 * {@code DB.images}, the database created on first use.
 * <ul>
 * <li>parquet: external Parquet tables over the output folders, partitioned by run_id and commit;
 *     each registration adds the run's complete commits as partitions, and a table an earlier
 *     sparkseg created gets the columns added since (read as null in its older partitions);
 * <li>delta: the Delta tables under the output, registered by location (their log holds schema and
 *     partitions, so there is nothing to update); the session catalog must be Delta's
 *     ({@link #sessionProblem});
 * <li>iceberg: views over {@code CATALOG.NAMESPACE.instances|images}, replaced at each registration
 *     so they show columns added since. The Iceberg catalog stays the tables' only owner (a second
 *     catalog holding the same metadata would go stale at the next commit); readers need that
 *     catalog configured under the same name.
 * </ul>
 * A table or view of that name over something else is refused. Dropping the tables never deletes
 * the files.
 */
public final class TableRegistrar {
  private static final String PLAIN_NAME = "[A-Za-z_][A-Za-z0-9_]*";
  private static final String DETAILS = "# Detailed Table Information";
  private static final String SESSION_CATALOG = "spark_catalog";

  private TableRegistrar() {}

  /** Why {@code database} cannot be the value of --register-tables; null when it can. */
  public static String databaseProblem(String database) {
    return database == null || database.matches(PLAIN_NAME) ? null
        : "--register-tables needs a plain database name (" + PLAIN_NAME + "), got '" + database + "'";
  }

  /**
   * What the session lacks to register {@code format}'s tables; null when nothing. Delta tables in
   * the session catalog need Delta's catalog and extension, both read when the session starts.
   */
  public static String sessionProblem(SparkSession spark, TableFormat format) {
    if (format != TableFormat.DELTA) {
      return null;
    }
    List<String> missing = new ArrayList<>();
    format.catalogs().forEach((key, value) -> {
      if (!value.equals(spark.conf().get(key, null))) {
        missing.add(key + "=" + value + " (the session has " + spark.conf().get(key, "none") + ")");
      }
    });
    List<String> extensions = Arrays.stream(spark.conf().get(TableFormat.EXTENSIONS, "").split(","))
        .map(String::trim).toList();
    for (String e : format.extensions()) {
      if (!extensions.contains(e)) {
        missing.add(TableFormat.EXTENSIONS + " including " + e);
      }
    }
    return missing.isEmpty() ? null : "--register-tables with --table-format delta creates Delta tables in the session "
        + "catalog: the Spark session must start with " + String.join(" and ", missing);
  }

  /** Creates/updates both tables of {@code runId}'s {@code output}; returns their names. */
  public static List<String> register(SparkSession spark, String database, TableFormat format, String output,
      String runId) {
    String problem = databaseProblem(database);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    problem = sessionProblem(spark, format);
    if (problem != null) {
      throw new IllegalStateException(problem);
    }
    spark.sql("CREATE DATABASE IF NOT EXISTS `" + database + "`");
    switch (format) {
      case PARQUET -> {
        OutputLayout layout = new OutputLayout(output);
        List<Integer> commits = completeCommits(spark, layout, runId);
        registerParquet(spark, database, InstancesTable.NAME, TableSchemas.INSTANCES_TABLE, layout.instances(), runId,
            commits);
        registerParquet(spark, database, ImagesTable.NAME, TableSchemas.IMAGES_TABLE, layout.images(), runId, commits);
      }
      case DELTA -> {
        OutputLayout layout = new OutputLayout(output);
        registerDelta(spark, database, InstancesTable.NAME, layout.instances());
        registerDelta(spark, database, ImagesTable.NAME, layout.images());
      }
      case ICEBERG -> {
        // tables in the session catalog's namespace DB already are DB.instances and DB.images
        if (!output.equals(SESSION_CATALOG + "." + database)) {
          registerView(spark, database, InstancesTable.NAME, output);
          registerView(spark, database, ImagesTable.NAME, output);
        }
      }
    }
    return List.of(database + "." + InstancesTable.NAME, database + "." + ImagesTable.NAME);
  }

  /** The run's commits whose images folder is complete (holds _SUCCESS); listed, not globbed (paths may hold \). */
  private static List<Integer> completeCommits(SparkSession spark, OutputLayout layout, String runId) {
    Path run = new Path(layout.images(), TableSchemas.RUN_ID + "=" + runId);
    String prefix = TableSchemas.COMMIT + "=";
    TreeSet<Integer> out = new TreeSet<>();
    try {
      FileSystem fs = run.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(run)) {
        return List.of();
      }
      RemoteIterator<LocatedFileStatus> files = fs.listFiles(run, true);
      while (files.hasNext()) {
        Path f = files.next().getPath();
        String dir = f.getParent().getName();
        if (f.getName().equals("_SUCCESS") && dir.startsWith(prefix) && f.getParent().getParent().getName()
            .equals(run.getName())) {
          out.add(Integer.parseInt(dir.substring(prefix.length())));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the commits of run " + runId + " under " + layout.images(), e);
    }
    return new ArrayList<>(out);
  }

  private static void registerParquet(SparkSession spark, String db, String table, StructType schema, String location,
      String runId, List<Integer> commits) {
    String name = "`" + db + "`.`" + table + "`";
    Map<String, String> existing = details(spark, db, table);
    if (existing != null) {
      requireTableAt(spark, db, table, existing, location);
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
          + "`commit`) LOCATION " + TableRows.sqlString(location));
    }
    for (int k : commits) {
      spark.sql("ALTER TABLE " + name + " ADD IF NOT EXISTS PARTITION (run_id=" + TableRows.sqlString(runId)
          + ", `commit`=" + k + ")");
    }
    spark.sql("REFRESH TABLE " + name);
  }

  private static void registerDelta(SparkSession spark, String db, String table, String location) {
    Map<String, String> existing = details(spark, db, table);
    if (existing != null) {
      requireTableAt(spark, db, table, existing, location);
      if (!"delta".equalsIgnoreCase(existing.get("Provider"))) {
        throw new IllegalStateException("table " + db + "." + table + " is a " + existing.get("Provider")
            + " table, not delta; drop it (the files stay) and register again, or use another database");
      }
      return;
    }
    spark.sql("CREATE TABLE IF NOT EXISTS `" + db + "`.`" + table + "` USING delta LOCATION "
        + TableRows.sqlString(location));
  }

  private static void registerView(SparkSession spark, String db, String table, String output) {
    String query = "SELECT * FROM " + Arrays.stream((output + "." + table).split("\\."))
        .map(p -> "`" + p.replace("`", "``") + "`").collect(Collectors.joining("."));
    Map<String, String> existing = details(spark, db, table);
    if (existing != null && !("VIEW".equals(existing.get("Type")) && query.equals(existing.get("View Original Text")))) {
      throw new IllegalStateException(db + "." + table + " already exists and is not the view " + query
          + "; drop it or register into another database");
    }
    spark.sql("CREATE OR REPLACE VIEW `" + db + "`.`" + table + "` AS " + query);
  }

  /** An existing table must be a table (not a view) at {@code location}. */
  private static void requireTableAt(SparkSession spark, String db, String table, Map<String, String> existing,
      String location) {
    String at = existing.get("Location");
    if (at == null || !qualified(spark, at).equals(qualified(spark, location))) {
      throw new IllegalStateException("table " + db + "." + table + " already exists"
          + (at == null ? " (a " + existing.get("Type") + ")" : " at " + at) + ", not at " + location
          + "; drop it or register into another database");
    }
  }

  private static Path qualified(SparkSession spark, String location) {
    Path p = new Path(location);
    try {
      return p.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + location, e);
    }
  }

  /** The detailed table information of {@code db.table} (Type, Location, Provider, ...); null when absent. */
  private static Map<String, String> details(SparkSession spark, String db, String table) {
    if (!spark.catalog().tableExists(db, table)) {
      return null;
    }
    Map<String, String> out = new HashMap<>();
    boolean inDetails = false;
    for (Row r : spark.sql("DESCRIBE TABLE EXTENDED `" + db + "`.`" + table + "`").collectAsList()) {
      inDetails |= DETAILS.equals(r.getString(0));
      if (inDetails) {
        out.putIfAbsent(r.getString(0), r.getString(1));
      }
    }
    return out;
  }

  /** Columns of {@code wanted} that the existing table lacks, added at the end of its data columns. */
  private static void addMissingColumns(SparkSession spark, String name, StructType wanted, StructType existing) {
    Set<String> have = new HashSet<>(Arrays.asList(existing.fieldNames()));
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
