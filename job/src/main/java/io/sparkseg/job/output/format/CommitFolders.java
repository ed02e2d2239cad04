package io.sparkseg.job.output.format;

import static io.sparkseg.job.output.format.TableSchemas.COMMIT;
import static io.sparkseg.job.output.format.TableSchemas.IMAGES;
import static io.sparkseg.job.output.format.TableSchemas.INSTANCES;
import static io.sparkseg.job.output.format.TableSchemas.RUN_ID;

import io.sparkseg.job.output.CloudCommitters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instances and images tables under {@code root} as Parquet commit folders,
 * {@code root/TABLE/run_id=ID/commit=K/}: each written straight to its folder through Spark's file
 * committer (the S3A magic committer on s3a://, {@link CloudCommitters}), so its files appear at job commit and
 * {@code _SUCCESS}, written last, marks it complete. A commit counts once its images folder is
 * complete. The layout of the Parquet format and of every format's staging area.
 */
final class CommitFolders {
  private static final Logger LOG = LoggerFactory.getLogger(CommitFolders.class);
  static final String SUCCESS = "_SUCCESS";

  private final SparkSession spark;
  private final Path root;

  CommitFolders(SparkSession spark, Path root) {
    this.spark = spark;
    this.root = root;
  }

  Path root() {
    return root;
  }

  SparkSession spark() {
    return spark;
  }

  Path table(String table) {
    return new Path(root, table);
  }

  Path runDir(String table, String runId) {
    return new Path(table(table), RUN_ID + "=" + runId);
  }

  Path commitDir(String table, String runId, int commit) {
    return new Path(runDir(table, runId), COMMIT + "=" + commit);
  }

  FileSystem fs() {
    try {
      return root.getFileSystem(spark.sparkContext().hadoopConfiguration());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach " + root, e);
    }
  }

  /** Writes one commit, instances then images; a no-op when its images folder is complete. */
  void append(String runId, int commit, Dataset<Row> instances, Dataset<Row> images) {
    if (isComplete(IMAGES, runId, commit)) {
      LOG.info("commit {} of run {} is already complete under {}: not written again", commit, runId, root);
      return;
    }
    write(commitDir(INSTANCES, runId, commit), TableRows.conform(INSTANCES, instances, runId, commit));
    write(commitDir(IMAGES, runId, commit), TableRows.conform(IMAGES, images, runId, commit));
  }

  private void write(Path leaf, Dataset<Row> rows) {
    DataFrameWriter<Row> w = rows.drop(RUN_ID, COMMIT).write().mode(SaveMode.Overwrite)
        // _SUCCESS marks a complete commit: on even where a cluster turned it off
        .option("mapreduce.fileoutputcommitter.marksuccessfuljobs", "true");
    boolean cloud = CloudCommitters.isS3a(leaf.toString()) && CloudCommitters.available();
    if (!cloud) {
      w.parquet(leaf.toString());
      return;
    }
    Map<String, String> options = CloudCommitters.writeOptions();
    Map<String, String> saved = new HashMap<>();
    CloudCommitters.sessionConf().forEach((k, v) -> {
      saved.put(k, spark.conf().contains(k) ? spark.conf().get(k) : null);
      spark.conf().set(k, v);
    });
    try {
      w.options(options).parquet(leaf.toString());
    } finally {
      saved.forEach((k, v) -> {
        if (v == null) {
          spark.conf().unset(k);
        } else {
          spark.conf().set(k, v);
        }
      });
    }
  }

  /** The commit indexes of the run's folders in {@code table}, complete or not. */
  SortedSet<Integer> commits(String table, String runId) {
    return indexes(glob(new Path(runDir(table, runId), COMMIT + "=*")), false);
  }

  /** The commit indexes of the run's complete folders in {@code table}. */
  SortedSet<Integer> complete(String table, String runId) {
    return indexes(glob(new Path(runDir(table, runId), COMMIT + "=*/" + SUCCESS)), true);
  }

  /**
   * Whether one commit folder is complete: one status call, where {@link #complete} lists every
   * commit of the run (a check per commit of a run of thousands made the run quadratic in them).
   */
  boolean isComplete(String table, String runId, int commit) {
    Path marker = new Path(commitDir(table, runId, commit), SUCCESS);
    try {
      return fs().exists(marker);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + marker, e);
    }
  }

  /** Deletes incomplete commit folders, and instances commits whose images commit is not complete. */
  void dropOrphans(String runId) {
    for (String table : List.of(INSTANCES, IMAGES)) {
      SortedSet<Integer> incomplete = commits(table, runId);
      incomplete.removeAll(complete(table, runId));
      incomplete.forEach(k -> delete(commitDir(table, runId, k), "incomplete"));
    }
    SortedSet<Integer> imagesDone = complete(IMAGES, runId);
    for (int k : complete(INSTANCES, runId)) {
      if (!imagesDone.contains(k)) {
        delete(commitDir(INSTANCES, runId, k), "without images");
      }
    }
  }

  /** The run's committed rows of {@code table}. */
  Dataset<Row> read(String table, String runId) {
    List<Path> leaves = new ArrayList<>();
    SortedSet<Integer> done = complete(IMAGES, runId);
    if (table.equals(INSTANCES)) {
      done.retainAll(complete(INSTANCES, runId));
    }
    done.forEach(k -> leaves.add(commitDir(table, runId, k)));
    return read(table, leaves);
  }

  /** Every run's committed images rows. */
  Dataset<Row> readAllImages() {
    List<Path> leaves = new ArrayList<>();
    for (FileStatus s : glob(new Path(table(IMAGES), RUN_ID + "=*/" + COMMIT + "=*/" + SUCCESS))) {
      leaves.add(s.getPath().getParent());
    }
    return read(IMAGES, leaves);
  }

  private Dataset<Row> read(String table, List<Path> leaves) {
    StructType schema = TableSchemas.resultTable(table);
    if (leaves.isEmpty()) {
      return TableRows.empty(spark, schema);
    }
    // the explicit schema keeps run_id a string and commit an int whatever the folder names look like
    Dataset<Row> rows = spark.read().schema(schema).option("basePath", table(table).toString())
        .parquet(leaves.stream().map(Path::toString).toArray(String[]::new));
    return TableRows.ordered(rows, schema);
  }

  /** Deletes the whole tree under {@link #root()}. */
  void deleteAll() {
    delete(root, "staging");
  }

  private void delete(Path p, String why) {
    try {
      if (fs().delete(p, true)) {
        LOG.info("deleted {} ({})", p, why);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + p, e);
    }
  }

  private FileStatus[] glob(Path pattern) {
    try {
      FileStatus[] found = fs().globStatus(pattern);
      return found == null ? new FileStatus[0] : found;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + pattern, e);
    }
  }

  /** Commit indexes from {@code commit=K} folder names (of the parent folder for marker files). */
  private static SortedSet<Integer> indexes(FileStatus[] found, boolean markers) {
    SortedSet<Integer> out = new TreeSet<>();
    String prefix = COMMIT + "=";
    for (FileStatus s : found) {
      String name = (markers ? s.getPath().getParent() : s.getPath()).getName();
      if (name.startsWith(prefix)) {
        try {
          out.add(Integer.parseInt(name.substring(prefix.length())));
        } catch (NumberFormatException e) {
          LOG.warn("ignoring {}: not a commit folder", s.getPath());
        }
      }
    }
    return out;
  }
}
