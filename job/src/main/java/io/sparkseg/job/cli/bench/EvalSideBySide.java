package io.sparkseg.job.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkseg.core.coco.CocoJsonWriter;
import io.sparkseg.job.evaluate.SyntheticEvalCase;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code bench eval --peer-python}: sparkseg's {@code evaluate} command and pycocotools, each a whole
 * process started from scratch, on the same COCO annotation file and results file (the synthetic
 * case written as JSON), one iouType per process, one after the other. Reports each process's wall
 * time, CPU time and peak RSS ({@link ChildUsage}), the ratios, and whether the stats are the same.
 */
final class EvalSideBySide {
  /** Largest difference between the two tools' stats that still counts as the same numbers. */
  static final double STATS_TOLERANCE = 1e-9;
  private static final String PEER_SCRIPT = "models/tools/bench_cocoeval.py";
  private static final Duration CHILD_TIMEOUT = Duration.ofMinutes(30);
  private static final String[] TYPES = {"bbox", "segm", "keypoints"};

  /** What one process took: wall seconds, CPU seconds, peak RSS bytes, and the stats it printed. */
  record Run(double seconds, double cpuSeconds, long peakRssBytes, double[] stats) {}

  private final Path dir;
  private final String python;
  private final Path pycocotools;
  private final PrintWriter out;

  EvalSideBySide(Path dir, String python, Path pycocotools, PrintWriter out) {
    this.dir = dir;
    this.python = python;
    this.pycocotools = pycocotools;
    this.out = out;
  }

  /** Writes the case as JSON, runs both tools on each iouType and returns the report; fails if any stats differ. */
  Map<String, Object> run(int images, int gts, int dets, long seed) throws Exception {
    long t0 = System.nanoTime();
    SyntheticEvalCase.Case c = SyntheticEvalCase.generate(images, gts, dets, seed);
    Path gt = dir.resolve("gt.json");
    Path results = dir.resolve("results.json");
    try (OutputStream o = Files.newOutputStream(gt)) {
      CocoJsonWriter.write(o, c.groundTruth());
    }
    try (OutputStream o = Files.newOutputStream(results)) {
      CocoJsonWriter.write(o, c.detections());
    }
    out.printf("case: %d images, %d GT, %d detections; JSON %d MB + %d MB, written in %.1f s; load average %s%n",
        c.groundTruth().images().size(), c.groundTruth().annotations().size(), c.detections().size(),
        Files.size(gt) >> 20, Files.size(results) >> 20, (System.nanoTime() - t0) / 1e9, loadAverage());
    out.flush();
    c = null; // the children need the memory more than this JVM does
    System.gc();

    Map<String, Object> report = new LinkedHashMap<>();
    List<String> differ = new ArrayList<>();
    for (String type : TYPES) {
      String loadBefore = loadAverage();
      Run ours = sparkseg(type, gt, results);
      Run peer = pycocotools(type, gt, results);
      double diff = maxDiff(ours.stats(), peer.stats());
      boolean same = diff <= STATS_TOLERANCE;
      if (!same) {
        differ.add(type);
      }
      double timeRatio = ours.seconds() / peer.seconds();
      double rssRatio = (double) ours.peakRssBytes() / peer.peakRssBytes();
      double cpuRatio = ours.cpuSeconds() / peer.cpuSeconds();
      out.printf("%-9s sparkseg %6.1f s (CPU %6.1f s) %6d MB | pycocotools %6.1f s (CPU %6.1f s) %6d MB | time ratio %.3f, "
              + "CPU ratio %.3f, RSS ratio %.2f | stats same: %s (max |diff| %.1e) | load average before %s%n",
          type, ours.seconds(), ours.cpuSeconds(), ours.peakRssBytes() >> 20, peer.seconds(), peer.cpuSeconds(),
          peer.peakRssBytes() >> 20, timeRatio, cpuRatio, rssRatio, same, diff, loadBefore);
      out.flush();
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("sparkseg_seconds", ours.seconds());
      r.put("sparkseg_cpu_seconds", ours.cpuSeconds());
      r.put("sparkseg_peak_rss_mb", ours.peakRssBytes() >> 20);
      r.put("pycocotools_seconds", peer.seconds());
      r.put("pycocotools_cpu_seconds", peer.cpuSeconds());
      r.put("pycocotools_peak_rss_mb", peer.peakRssBytes() >> 20);
      r.put("time_ratio", timeRatio);
      r.put("cpu_ratio", cpuRatio);
      r.put("rss_ratio", rssRatio);
      r.put("stats_same", same);
      r.put("stats_max_abs_diff", diff);
      r.put("sparkseg_stats", ours.stats());
      r.put("pycocotools_stats", peer.stats());
      r.put("load_average_before", loadBefore);
      report.put(type, r);
    }
    if (!differ.isEmpty()) {
      throw new IllegalStateException("sparkseg's stats differ from pycocotools' for " + differ + " (see above)");
    }
    return report;
  }

  private Run sparkseg(String type, Path gt, Path results) throws Exception {
    Path summary = dir.resolve("sparkseg-" + type + ".json");
    Path log = dir.resolve("sparkseg-" + type + ".log");
    String root = System.getProperty("sparkseg.repo.root", ".");
    // the command a user runs (bin/sparkseg and its JVM flags); --no-errors: pycocotools computes
    // no error analysis, so like is timed against like
    long start = System.nanoTime();
    Process p = new ProcessBuilder(Path.of(root, "bin", "sparkseg").toString(), "evaluate", "--gt", gt.toString(),
        "--detections", results.toString(), "--iou-types", type, "--no-errors", "--summary-json", summary.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    ChildUsage usage = ChildUsage.watch(p.pid()); // bin/sparkseg execs the JVM: the same process
    if (!p.waitFor(CHILD_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("sparkseg evaluate " + type + " did not finish in " + CHILD_TIMEOUT + "; see " + log);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (p.exitValue() != 0) {
      throw new IllegalStateException("sparkseg evaluate " + type + " failed (exit " + p.exitValue() + "); see " + log);
    }
    JsonNode stats = BenchCommand.JSON.readTree(summary.toFile()).path(type).path("stats");
    return new Run(seconds, usage.cpuSeconds(), usage.peakRssBytes(), numbers(stats));
  }

  private Run pycocotools(String type, Path gt, Path results) throws Exception {
    Path log = dir.resolve("pycocotools-" + type + ".log");
    String root = System.getProperty("sparkseg.repo.root", ".");
    long start = System.nanoTime();
    Process p = new ProcessBuilder(python, Path.of(root, PEER_SCRIPT).toString(), "--pycocotools",
        pycocotools.toString(), "--gt", gt.toString(), "--results", results.toString(), "--iou-type", type)
        .redirectError(log.toFile()).start();
    ChildUsage usage = ChildUsage.watch(p.pid());
    String last = null;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        last = line;
      }
    }
    int rc = p.waitFor();
    double seconds = (System.nanoTime() - start) / 1e9;
    if (rc != 0 || last == null) {
      throw new IllegalStateException("pycocotools " + type + " failed (exit " + rc + "); see " + log);
    }
    return new Run(seconds, usage.cpuSeconds(), usage.peakRssBytes(),
        numbers(BenchCommand.JSON.readTree(last).path("stats")));
  }

  private static double[] numbers(JsonNode a) {
    if (!a.isArray() || a.isEmpty()) {
      throw new IllegalStateException("no stats in " + a);
    }
    double[] v = new double[a.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = a.get(i).asDouble();
    }
    return v;
  }

  static double maxDiff(double[] a, double[] b) {
    if (a.length != b.length) {
      return Double.POSITIVE_INFINITY;
    }
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "?";
    }
  }

  /** Deletes {@code dir} and what it holds. */
  static void delete(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
