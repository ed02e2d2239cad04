package io.sparkseg.job.output.format;

import static io.sparkseg.job.output.format.TableSchemas.COMMIT;
import static io.sparkseg.job.output.format.TableSchemas.IMAGES;
import static io.sparkseg.job.output.format.TableSchemas.INSTANCES;
import static io.sparkseg.job.output.format.TableSchemas.RUNS;
import static io.sparkseg.job.output.format.TableSchemas.RUN_ID;
import static org.apache.spark.sql.functions.lit;

import io.sparkseg.job.output.OutputLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The run tables that {@code evaluate --detections} and {@code report --output} read, in any
 * {@link TableFormat}, opened as they are (nothing is created). The format is told or detected: a
 * folder with {@code _delta_log} (or whose {@code instances} has one) is Delta, a name
 * {@code CATALOG.NAMESPACE[.instances]} of a configured Spark catalog is Iceberg, any other folder
 * Parquet (an output root with {@code instances/}, or an instances folder). A run's rows are only
 * its committed ones (the images table says which commits count), and Parquet runs written before
 * commit folders ({@code run_id=ID/part-*}) read as they always did.
 */
public final class RunTableSource {
  /** The format value that detects the format. */
  public static final String AUTO = "auto";
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+");
  private static final String DELTA_LOG = "_delta_log";

  private final SparkSession spark;
  private final TableFormat format;
  private final String location;
  /** Parquet and Delta: the folder holding the tables; Iceberg: null. */
  private final Path root;
  /** Parquet: the instances folder (the output's, or the one given). */
  private final Path instancesDir;
  /** Delta and Iceberg: the tables. */
  private final LakeRunTables lake;

  private RunTableSource(SparkSession spark, TableFormat format, String location, Path root, Path instancesDir,
      LakeRunTables lake) {
    this.spark = spark;
    this.format = format;
    this.location = location;
    this.root = root;
    this.instancesDir = instancesDir;
    this.lake = lake;
  }

  /**
   * The tables {@code value} names: {@code format} is {@value #AUTO}, parquet, delta or iceberg.
   * {@code option} and {@code formatOption} name the options in error messages.
   *
   * @throws IllegalArgumentException when the value is not what the format needs (the message says
   *     what was expected)
   */
  public static RunTableSource open(SparkSession spark, String value, String format, String option,
      String formatOption) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(option + " is empty");
    }
    String f = format == null ? AUTO : format.trim().toLowerCase(Locale.ROOT);
    if (f.equals(AUTO)) {
      if (NAME.matcher(value).matches() && !exists(spark, new Path(value))) {
        return iceberg(spark, value, option);
      }
      Path p = new Path(value);
      if (!exists(spark, p)) {
        throw new IllegalArgumentException(option + " '" + value + "' does not exist: expected a folder (a run's output,"
            + " its instances table in Parquet or Delta) or an Iceberg table CATALOG.NAMESPACE[.instances]");
      }
      return deltaTable(spark, p).map(t -> delta(spark, value, t)).orElseGet(() -> parquet(spark, value, p, option));
    }
    return switch (parse(f, formatOption)) {
      case PARQUET -> parquet(spark, value, new Path(value), option);
      case DELTA -> delta(spark, value, deltaTable(spark, new Path(value)).orElseThrow(() -> new IllegalArgumentException(
          option + " '" + value + "' is not a Delta table: no " + DELTA_LOG + " in it or in its instances folder")));
      case ICEBERG -> iceberg(spark, value, option);
    };
  }

  private static TableFormat parse(String format, String formatOption) {
    try {
      return TableFormat.parse(format);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(formatOption + " '" + format + "' is not one of auto, "
          + Arrays.stream(TableFormat.values()).map(TableFormat::id).collect(Collectors.joining(", ")));
    }
  }

  /** The Delta instances table at {@code p} or at {@code p/instances}. */
  private static Optional<Path> deltaTable(SparkSession spark, Path p) {
    for (Path t : List.of(p, new Path(p, INSTANCES))) {
      if (exists(spark, new Path(t, DELTA_LOG))) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  private static RunTableSource delta(SparkSession spark, String value, Path instances) {
    Path root = instances.getParent();
    return new RunTableSource(spark, TableFormat.DELTA, value, root, null, new DeltaRunTables(spark, root));
  }

  private static RunTableSource parquet(SparkSession spark, String value, Path p, String option) {
    Path inst = new Path(p, INSTANCES);
    if (!isDirectory(spark, inst)) {
      inst = p;
      if (!isDirectory(spark, p)) {
        throw new IllegalArgumentException(option + " '" + value + "' is not a folder: expected a run's output folder"
            + " (with instances/) or an instances Parquet folder");
      }
    }
    return new RunTableSource(spark, TableFormat.PARQUET, value, inst.getParent(), inst, null);
  }

  private static RunTableSource iceberg(SparkSession spark, String value, String option) {
    String[] parts = value.split("\\.", -1);
    if (!NAME.matcher(value).matches()) {
      throw new IllegalArgumentException(option + " '" + value + "' is not an Iceberg table name: expected "
          + "CATALOG.NAMESPACE or CATALOG.NAMESPACE.instances");
    }
    String catalogKey = "spark.sql.catalog." + parts[0];
    if (!spark.conf().contains(catalogKey)) {
      throw new IllegalArgumentException(option + " '" + value + "': Spark catalog '" + parts[0] + "' is not configured: "
          + "set " + catalogKey + "=org.apache.iceberg.spark.SparkCatalog and its type and warehouse (example: "
          + "conf/iceberg-local.properties), or give a folder");
    }
    List<String> ns = new ArrayList<>(Arrays.asList(parts));
    if (ns.size() > 2 && ns.get(ns.size() - 1).equals(INSTANCES) && tableExists(spark, quoted(ns))) {
      ns.remove(ns.size() - 1);
    }
    IcebergRunTables t = new IcebergRunTables(spark, quoted(ns));
    if (!tableExists(spark, t.ident(INSTANCES))) {
      throw new IllegalArgumentException(option + " '" + value + "': there is no Iceberg table " + String.join(".", ns)
          + "." + INSTANCES + " (expected CATALOG.NAMESPACE of a sparkseg output, or its instances table)");
    }
    return new RunTableSource(spark, TableFormat.ICEBERG, String.join(".", ns), null, null, t);
  }

  private static String quoted(List<String> parts) {
    return parts.stream().map(p -> "`" + p + "`").collect(Collectors.joining("."));
  }

  private static boolean tableExists(SparkSession spark, String ident) {
    return spark.catalog().tableExists(ident);
  }

  public TableFormat format() {
    return format;
  }

  /** What was opened: the folder or path given, or CATALOG.NAMESPACE. */
  public String location() {
    return location;
  }

  /** The run ids in the instances table, sorted; empty when it has no run_id. */
  public List<String> runIds() {
    List<String> ids;
    if (lake != null) {
      Dataset<Row> all = lake.read(INSTANCES);
      if (!hasColumn(all, RUN_ID)) {
        return List.of();
      }
      ids = all.select(RUN_ID).distinct().as(Encoders.STRING()).collectAsList();
    } else {
      ids = new ArrayList<>();
      String prefix = RUN_ID + "=";
      for (FileStatus s : glob(new Path(instancesDir, prefix + "*"))) {
        if (s.isDirectory()) {
          ids.add(s.getPath().getName().substring(prefix.length()));
        }
      }
    }
    return ids.stream().sorted().toList();
  }

  /** The run's committed instances rows; for a table without run_id ({@code runId} null), all of them. */
  public Dataset<Row> instances(String runId) {
    return rows(INSTANCES, runId);
  }

  /** The run's committed images rows. */
  public Dataset<Row> images(String runId) {
    return rows(IMAGES, runId);
  }

  private Dataset<Row> rows(String table, String runId) {
    if (lake != null) {
      Dataset<Row> all = lake.read(table);
      if (runId == null) {
        return all;
      }
      if (hasColumn(all, COMMIT) && hasTable(IMAGES)) {
        return table.equals(INSTANCES) ? lake.instances(runId) : lake.images(runId);
      }
      return LakeRunTables.ofRun(all, runId);
    }
    Path dir = table.equals(INSTANCES) ? instancesDir : new Path(root, IMAGES);
    // runs written by different sparkseg versions may differ in columns (mask_score): read their union
    if (runId == null) {
      return spark.read().option("mergeSchema", "true").parquet(dir.toString());
    }
    TableRows.checkRunId(runId);
    Path runDir = new Path(dir, RUN_ID + "=" + runId);
    if (glob(new Path(runDir, COMMIT + "=*")).length > 0) {
      return new CommitFolders(spark, root).read(table, runId);
    }
    if (!isDirectory(spark, runDir)) {
      return TableRows.empty(spark, TableSchemas.resultTable(table));
    }
    // a run written before commit folders: its files straight under run_id=ID
    return spark.read().option("mergeSchema", "true").parquet(runDir.toString()).withColumn(RUN_ID, lit(runId));
  }

  /**
   * The run summary file of a folder output ({@code _summary/ID.json} beside the tables); empty for
   * Iceberg, whose summary is only in the runs table ({@link #storedSummary}).
   */
  public Optional<String> summaryFile(String runId) {
    return root == null ? Optional.empty() : Optional.of(new OutputLayout(root.toString()).summary(runId));
  }

  /** The summary JSON the runs table holds for the run (null until the run finished); empty without one. */
  public Optional<String> storedSummary(String runId) {
    TableRows.checkRunId(runId);
    Optional<Row> run;
    if (lake != null) {
      run = hasTable(RUNS) ? lake.run(runId) : Optional.empty();
    } else {
      run = new RunsFolder(spark, new Path(root, RUNS)).get(runId);
    }
    return run.map(r -> r.<String>getAs("summary"));
  }

  private boolean hasTable(String table) {
    if (format == TableFormat.ICEBERG) {
      return tableExists(spark, lake.ident(table));
    }
    return exists(spark, new Path(new Path(root, table), DELTA_LOG));
  }

  private static boolean hasColumn(Dataset<Row> rows, String column) {
    return Arrays.asList(rows.columns()).contains(column);
  }

  private FileStatus[] glob(Path pattern) {
    try {
      FileStatus[] found = fs(spark, pattern).globStatus(pattern);
      return found == null ? new FileStatus[0] : found;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + pattern, e);
    }
  }

  private static boolean exists(SparkSession spark, Path p) {
    try {
      return fs(spark, p).exists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach " + p, e);
    }
  }

  private static boolean isDirectory(SparkSession spark, Path p) {
    try {
      return fs(spark, p).getFileStatus(p).isDirectory();
    } catch (java.io.FileNotFoundException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach " + p, e);
    }
  }

  private static FileSystem fs(SparkSession spark, Path p) throws IOException {
    return p.getFileSystem(spark.sparkContext().hadoopConfiguration());
  }
}
