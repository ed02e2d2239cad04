package io.sparkseg.job.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkseg.core.result.ImageStatus;
import io.sparkseg.job.config.SegmentKeys;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileUtil;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench scale}: {@code segment} on a manifest of dataset size, each run a child JVM with a
 * fixed heap: an uninterrupted run (driver heap peak, time to the first durable commit, total),
 * then the same run SIGKILLed once about {@code --kill-at} of its commits are durable and run
 * again: what the resume kept, what it computed, and the time the kill cost.
 */
@Command(name = "scale", mixinStandardHelpOptions = true,
    description = "segment on a manifest of --rows rows (--real-images of them existing sample images, the rest "
        + "missing files), each run a child JVM with --driver-heap: the run uninterrupted (heap peak from its GC log, "
        + "time to the first durable commit, total), then killed (SIGKILL) at --kill-at of its commits and resumed.")
final class ScaleBench implements Callable<Integer> {
  static final String RUN_ID = "scale";

  @Spec CommandSpec spec;

  @Option(names = "--rows", defaultValue = "1000000", description = "Manifest rows (default: ${DEFAULT-VALUE}).")
  long rows;

  @Option(names = "--real-images", defaultValue = "200",
      description = "Rows that name a copy of a sample image, spread evenly (default: ${DEFAULT-VALUE}).")
  int realImages;

  @Option(names = "--images", defaultValue = "samples/images", description = "Sample images to copy (default: ${DEFAULT-VALUE}).")
  Path images;

  @Option(names = "--model", defaultValue = "samples/model", description = "Bundle, as segment's --model (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--commit-images", defaultValue = "" + SegmentKeys.COMMIT_IMAGES_DEFAULT,
      description = "segment's --commit-images (default: ${DEFAULT-VALUE}, segment's default).")
  int commitImages;

  @Option(names = "--driver-heap", defaultValue = "2g",
      description = "-Xmx of each run's JVM: the driver, which in local mode also runs the tasks (default: ${DEFAULT-VALUE}).")
  String driverHeap;

  @Option(names = "--kill-at", defaultValue = "0.5",
      description = "Fraction of the commits durable when the second run is killed (default: ${DEFAULT-VALUE}).")
  double killAt;

  @Option(names = "--master", defaultValue = "local[2]", description = "Spark master of the runs (default: ${DEFAULT-VALUE}).")
  String master;

  @Option(names = "--batch-size", defaultValue = "1", description = "segment's --batch-size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--flip-test", defaultValue = "auto", paramLabel = "auto|on|off",
      description = "segment's --flip-test (default: ${DEFAULT-VALUE}).")
  String flipTest;

  @Option(names = "--work-dir", defaultValue = "out/bench-scale", description = "Scratch folder (default: ${DEFAULT-VALUE}).")
  Path workDir;

  @Option(names = "--timeout-minutes", defaultValue = "600", description = "Limit per run (default: ${DEFAULT-VALUE}).")
  long timeoutMinutes;

  @Override
  public Integer call() throws Exception {
    if (commitImages < 1 || killAt <= 0 || killAt >= 1) {
      throw new ParameterException(spec.commandLine(),
          "--commit-images must be at least 1 and --kill-at between 0 and 1 (exclusive)");
    }
    long commits = (rows + commitImages - 1) / commitImages;
    if (commits < 2) {
      throw new ParameterException(spec.commandLine(),
          "--rows " + rows + " in commits of " + commitImages + " make one commit: nothing to kill midway");
    }
    Files.createDirectories(workDir);
    ScaleManifest manifest = ScaleManifest.write(workDir, ModelBenchOptions.imageFiles(images), rows, realImages);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("what", "segment on a " + rows + "-row manifest (" + realImages + " existing images), commits of "
        + commitImages + ", " + master + ", each run a child JVM with -Xmx" + driverHeap);
    report.put("manifest", manifest.file().toString());
    report.put("rows", manifest.rows());
    report.put("real_images", manifest.real());
    report.put("commit_images", commitImages);
    report.put("commits", commits);
    report.put("driver_heap_limit", driverHeap);

    Measured reference = run("reference", -1);
    JsonNode refSummary = summary("reference");
    Map<String, Object> ref = reference.toMap(refSummary);
    // the steady cost of a commit: what follows the first durable one, spread over the others
    ref.put("seconds_per_later_commit", round((reference.seconds - reference.firstCommitSeconds) / (commits - 1)));
    report.put("reference", ref);

    int killAfter = (int) Math.max(1, Math.min(commits - 1, Math.ceil(commits * killAt)));
    Measured killed = run("killed", killAfter);
    Map<String, Object> kill = new LinkedHashMap<>();
    kill.put("after_s", round(killed.seconds));
    kill.put("durable_commits", killed.durableCommits);
    kill.put("heap", heapMap(killed.heap));
    kill.put("load_average_before_after", List.of(round(killed.loadBefore), round(killed.loadAfter)));
    if (killed.first != null && killed.first.liveMb != null && killed.last.liveMb != null) {
      // live data after a full GC: what the driver really keeps, and whether it grows with commits
      kill.put("live_heap", List.of(Map.of("after_commits", killed.first.commits, "mb", round(killed.first.liveMb)),
          Map.of("after_commits", killed.last.commits, "mb", round(killed.last.liveMb))));
      kill.put("live_heap_growth_kb_per_commit", round((killed.last.liveMb - killed.first.liveMb) * 1024
          / Math.max(1, killed.last.commits - killed.first.commits)));
      kill.put("live_heap_looks_s", round(killed.probeSeconds()));
    }
    report.put("kill", kill);

    Measured resumed = run("resumed", -1);
    JsonNode s = summary("resumed");
    Map<String, Object> resume = resumed.toMap(s);
    long keptImages = Math.min(rows, (long) killed.durableCommits * commitImages);
    resume.put("images_resumed", s.path("images_resumed").asLong());
    resume.put("images_computed", s.path("images_computed").asLong());
    resume.put("commits_computed", s.path("commits").asLong() - killed.durableCommits);
    // every durable commit is kept: what the killed attempt had done of the commit in flight is all
    // that is computed twice
    resume.put("durable_commits_recomputed",
        killed.durableCommits - s.path("images_resumed").asLong() / commitImages);
    // less the pauses of the live-heap looks, which an unobserved kill would not have had
    resume.put("time_lost_s", round(killed.seconds - killed.probeSeconds() + resumed.seconds - reference.seconds));
    report.put("resume", resume);

    Map<String, Object> checks = new LinkedHashMap<>();
    checks.put("reference_succeeded", "succeeded".equals(refSummary.path("status").asText()));
    checks.put("every_missing_file_has_a_missing_row",
        refSummary.path("images_by_status").path(ImageStatus.MISSING.code()).asLong() == rows - realImages);
    checks.put("every_real_image_segmented",
        refSummary.path("images_by_status").path(ImageStatus.OK.code()).asLong() == realImages);
    checks.put("resume_succeeded", "succeeded".equals(s.path("status").asText()));
    checks.put("resume_kept_every_durable_commit", s.path("images_resumed").asLong() == keptImages);
    checks.put("resume_computed_the_rest", s.path("images_computed").asLong() == rows - keptImages);
    report.put("checks", checks);
    spec.commandLine().getOut().println(BenchCommand.JSON.writeValueAsString(report));
    spec.commandLine().getOut().flush();
    return checks.values().stream().allMatch(Boolean.TRUE::equals) ? 0 : 1;
  }

  /**
   * What one child run showed from outside; a killed run also its live heap at its first durable
   * commit and at the kill ({@link LiveHeap}, null otherwise), and the seconds those looks paused it.
   */
  private record Measured(double seconds, double firstCommitSeconds, int durableCommits, HeapPeak heap,
      double loadBefore, double loadAfter, Probe first, Probe last) {
    Map<String, Object> toMap(JsonNode summary) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("seconds", round(seconds));
      // the machine's load: on a shared one the times below depend on it
      m.put("load_average_before_after", List.of(round(loadBefore), round(loadAfter)));
      m.put("first_durable_commit_s", round(firstCommitSeconds));
      m.put("heap", heapMap(heap));
      m.put("images_by_status", summary.path("images_by_status"));
      m.put("timings", summary.path("timings"));
      return m;
    }

    double probeSeconds() {
      return (first == null ? 0 : first.seconds) + (last == null ? 0 : last.seconds);
    }
  }

  /** The live heap of a run after {@code commits} durable commits, and how long the look took. */
  private record Probe(int commits, Double liveMb, double seconds) {
    static Probe of(ChildJvm child, int commits) throws IOException, InterruptedException {
      long t0 = System.nanoTime();
      Double mb = LiveHeap.mb(child.pid());
      return new Probe(commits, mb, (System.nanoTime() - t0) / 1e9);
    }
  }

  /**
   * Runs segment in a child JVM until it exits, or (when {@code killAfter >= 0}) SIGKILLs it as soon
   * as that many commits are durable; {@code out-NAME} is the output, fresh unless NAME is "resumed".
   */
  private Measured run(String name, int killAfter) throws Exception {
    String output = name.equals("killed") ? "resumed" : name;
    Path out = workDir.resolve("out-" + output).toAbsolutePath();
    if (!name.equals("resumed")) {
      deleteTree(out);
    }
    DurableCommits durable = new DurableCommits(out, RUN_ID);
    int before = durable.count();
    progress("bench scale: %s run starts (%d commits already durable)", name, before);
    double load = loadAverage();
    ChildJvm child = ChildJvm.start(workDir, name, driverHeap, segment(out, name));
    long deadline = System.nanoTime() + Duration.ofMinutes(timeoutMinutes).toNanos();
    double first = -1;
    Probe firstProbe = null;
    int n = before;
    while (child.alive()) {
      n = durable.count();
      if (first < 0 && n > before) {
        first = child.seconds();
        progress("bench scale: %s: first durable commit after %.1f s", name, first);
        if (killAfter >= 0) {
          firstProbe = Probe.of(child, n);
        }
      }
      if (killAfter >= 0 && n >= killAfter) {
        Probe last = Probe.of(child, n);
        child.kill();
        n = durable.count();
        progress("bench scale: %s: killed after %.1f s with %d commits durable", name, child.seconds(), n);
        return new Measured(child.seconds(), first, n, child.heap(), load, loadAverage(), firstProbe, last);
      }
      if (System.nanoTime() > deadline) {
        child.kill();
        throw new IllegalStateException(name + " run still running after " + timeoutMinutes + " minutes; see "
            + child.log());
      }
      Thread.sleep(100);
    }
    int code = child.waitFor(Duration.ofMinutes(1));
    if (code != 0 || killAfter >= 0) {
      throw new IllegalStateException(name + " run " + (code != 0 ? "failed (exit " + code + ")"
          : "ended before " + killAfter + " commits were durable") + "; log tail:\n" + child.logTail());
    }
    n = durable.count();
    progress("bench scale: %s: done in %.1f s, %d commits durable", name, child.seconds(), n);
    return new Measured(child.seconds(), first, n, child.heap(), load, loadAverage(), null, null);
  }

  /** A progress line on the command's error stream (the report goes to its output). */
  private void progress(String format, Object... args) {
    spec.commandLine().getErr().println(String.format(Locale.ROOT, format, args));
    spec.commandLine().getErr().flush();
  }

  private List<String> segment(Path out, String name) {
    return new ArrayList<>(List.of("segment", "--manifest", workDir.resolve("manifest.csv").toAbsolutePath().toString(),
        "--output", out.toString(), "--run-id", RUN_ID, "--" + SegmentKeys.MODEL, model,
        "--" + SegmentKeys.COMMIT_IMAGES, String.valueOf(commitImages),
        "--" + SegmentKeys.BATCH_SIZE, String.valueOf(batchSize), "--" + SegmentKeys.FLIP_TEST, flipTest,
        "--" + SegmentKeys.PROGRESS_INTERVAL, "60",
        "--summary-json", workDir.resolve(name + ".json").toAbsolutePath().toString(),
        "--conf", "spark.master=" + master, "--conf", "spark.ui.enabled=false"));
  }

  private JsonNode summary(String name) throws IOException {
    return BenchCommand.JSON.readTree(workDir.resolve(name + ".json").toFile());
  }

  private static Map<String, Object> heapMap(HeapPeak h) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("used_peak_mb", round(h.usedMb()));
    m.put("after_gc_peak_mb", round(h.afterGcMb()));
    m.put("collections", h.collections());
    return m;
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir) && !FileUtil.fullyDelete(dir.toFile())) {
      throw new IOException("cannot delete " + dir + " (an earlier run's output)");
    }
  }
}
