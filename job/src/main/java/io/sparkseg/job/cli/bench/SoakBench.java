package io.sparkseg.job.cli.bench;

import io.sparkseg.core.bench.ProcessMemory;
import io.sparkseg.core.model.FlipTest;
import io.sparkseg.job.cli.SparkSessions;
import io.sparkseg.job.run.RunSummary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bench soak}: the process memory after each run of the segment job, over thousands of images in one JVM. */
@Command(name = "soak", mixinStandardHelpOptions = true,
    description = "Memory over a long run: the segment job over --num images (the samples cycled) in runs of "
        + "--step images in one JVM, printing the process RSS, the Java heap and the RSS outside the committed heap "
        + "after each run (a default JVM grows its heap for a while: SPARKSEG_JAVA_OPTS='-Xms2g -Xmx2g' gives an "
        + "executor-like fixed heap).")
final class SoakBench implements Callable<Integer> {
  @Mixin ModelBenchOptions args;

  @Option(names = "--step", defaultValue = "500", description = "Images per run (default: ${DEFAULT-VALUE}).")
  int step;

  @Option(names = "--master", defaultValue = "local[2]", description = "Spark master (default: ${DEFAULT-VALUE}).")
  String master;

  @Option(names = "--work-dir", defaultValue = "out/bench-soak", description = "Scratch folder (default: ${DEFAULT-VALUE}).")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    List<Path> files = args.files();
    List<Map<String, Object>> points = new ArrayList<>();
    try (SparkSessions.Handle h = SparkSessions.open("sparkseg bench soak", Map.of("spark.master", master), false)) {
      BenchJobs jobs = new BenchJobs(h, workDir, args.model, args.batchSize, args.threads(),
          FlipTest.parse(args.flipTest), args.precision);
      int done = 0;
      for (int run = 1; done < files.size(); run++) {
        List<Path> chunk = files.subList(done, Math.min(files.size(), done + step));
        RunSummary s = jobs.run("soak-" + run, chunk, 0);
        done += chunk.size();
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("images_done", done);
        double rss = ProcessMemory.rssMb();
        double heapCommitted = ProcessMemory.heapCommittedMb();
        p.put("rss_mb", rss);
        p.put("heap_used_mb", ProcessMemory.heapUsedMb());
        p.put("heap_committed_mb", heapCommitted);
        // what the Java heap does not explain: libtorch, DJL, metaspace, thread stacks, malloc arenas
        p.put("rss_outside_heap_mb", rss - heapCommitted);
        p.put("images_per_second", s.imagesPerSecond());
        points.add(p);
        System.err.println("soak: " + p);
      }
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("what", "segment job, " + master + ", batch " + args.batchSize + ", runs of " + step + " images");
    report.put("points", points);
    Map<String, Object> first = points.get(0);
    Map<String, Object> last = points.get(points.size() - 1);
    report.put("rss_last_over_first", (double) last.get("rss_mb") / (double) first.get("rss_mb"));
    report.put("rss_outside_heap_last_over_first",
        (double) last.get("rss_outside_heap_mb") / (double) first.get("rss_outside_heap_mb"));
    System.out.println(BenchCommand.JSON.writeValueAsString(report));
    return 0;
  }
}
