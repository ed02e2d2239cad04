package io.sparkseg.job.run;

import io.sparkseg.compat.ScalaApi;
import io.sparkseg.job.output.format.TableSchemas;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The driver's copy of a run's {@code runs} row ({@link TableSchemas#RUNS_TABLE}): continued from
 * the stored row when an attempt resumes, updated after every commit, finished at the end. Holds one
 * small entry per commit, never anything per image.
 */
final class RunRecord {
  final String runId;
  final RunMode mode;
  final String attempt;
  final int attempts;
  final String modelName;
  final String modelVersion;
  final String modelSha256;
  final String input;
  final String tableFormat;
  final int commitImages;
  final long imagesTotal;
  final Instant startedAt;
  private final List<Row> commits;
  long imagesCommitted;
  long imagesResumed;
  long imagesComputed;
  long imagesSkipped;
  long instances;
  String status = "running";
  Instant finishedAt;
  String summary;

  /** A model as the runs row records it. */
  record Model(String name, String version, String sha256) {}

  private RunRecord(String runId, RunMode mode, String attempt, int attempts, Model model, String input,
      String tableFormat, int commitImages, long imagesTotal, Instant startedAt, List<Row> commits) {
    this.runId = runId;
    this.mode = mode;
    this.attempt = attempt;
    this.attempts = attempts;
    this.modelName = model.name();
    this.modelVersion = model.version();
    this.modelSha256 = model.sha256();
    this.input = input;
    this.tableFormat = tableFormat;
    this.commitImages = commitImages;
    this.imagesTotal = imagesTotal;
    this.startedAt = startedAt;
    this.commits = commits;
  }

  /**
   * This attempt's record: a new run, or (resuming) the stored row's commits and start time kept.
   * A replace starts from no commits; it counts the attempts all the same.
   */
  static RunRecord begin(String runId, RunMode mode, String attempt, Optional<Row> stored, Model model, String input,
      String tableFormat, int commitImages, long imagesTotal) {
    int attempts = 1;
    Instant started = Instant.now();
    List<Row> commits = new ArrayList<>();
    long instances = 0;
    if (stored.isPresent()) {
      Row s = stored.get();
      Integer a = s.getAs("attempts");
      attempts = (a == null ? 0 : a) + 1;
      if (mode != RunMode.REPLACE) {
        Timestamp t = s.getAs("started_at");
        started = t == null ? started : t.toInstant();
        List<Row> old = s.getList(s.fieldIndex("commits"));
        if (old != null) {
          for (Row c : old) {
            commits.add(c);
            instances += c.isNullAt(3) ? 0 : c.getLong(3); // TableSchemas.COMMIT_ENTRY: instances
          }
        }
      }
    }
    RunRecord r = new RunRecord(runId, mode, attempt, attempts, model, input, tableFormat, commitImages, imagesTotal,
        started, commits);
    r.instances = instances;
    return r;
  }

  /** Records one commit this attempt wrote. */
  void committed(int commit, long images, long instanceCount, long ok, long failed) {
    commits.add(RowFactory.create(commit, attempt, images, instanceCount, ok, failed, Timestamp.from(Instant.now())));
    imagesCommitted += images;
    imagesComputed += images;
    instances += instanceCount;
  }

  /**
   * Makes the commit list agree with the tables, the truth of what is committed: a commit whose
   * runs row update a crash cut off gets its entry from {@code committed} (rows of commit, images,
   * instances, ok), and entries of commits the tables do not hold are dropped.
   */
  void reconcile(List<Row> committed) {
    Map<Integer, Row> byCommit = new TreeMap<>();
    for (Row c : commits) {
      byCommit.put(c.getInt(0), c);
    }
    Map<Integer, Row> next = new TreeMap<>();
    long total = 0;
    for (Row r : committed) {
      int k = r.getInt(0);
      long images = r.getLong(1);
      long inst = r.getLong(2);
      long ok = r.getLong(3);
      Row known = byCommit.get(k);
      next.put(k, known != null ? known : RowFactory.create(k, null, images, inst, ok, images - ok, null));
      total += inst;
    }
    commits.clear();
    commits.addAll(next.values());
    instances = total;
  }

  int commitCount() {
    return commits.size();
  }

  /** The row as the runs table takes it. */
  Row toRow() {
    return RowFactory.create(
        runId, status, mode.id(), attempt, attempts, modelName, modelVersion, modelSha256, input, tableFormat,
        commitImages, imagesTotal, imagesCommitted, imagesResumed, imagesComputed, imagesSkipped, instances,
        Timestamp.from(startedAt), Timestamp.from(Instant.now()), finishedAt == null ? null : Timestamp.from(finishedAt),
        ScalaApi.asScala(commits), summary);
  }
}
