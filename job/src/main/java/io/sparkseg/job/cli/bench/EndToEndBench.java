package io.sparkseg.job.cli.bench;

import io.sparkseg.core.model.FlipTest;
import io.sparkseg.job.cli.SparkSessions;
import io.sparkseg.job.executor.PipelineSettings;
import io.sparkseg.job.run.RunSummary;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench e2e}: the model-only ceiling, then the whole Spark job on the same images in one run,
 * and their ratio (and the eager-torchvision peer's, with {@code --peer-python}).
 */
@Command(name = "e2e", mixinStandardHelpOptions = true,
    description = "Model-only, then the Spark segment job on the same images and model, in one run; prints both and the ratio.")
final class EndToEndBench implements Callable<Integer> {
  @Mixin ModelBenchOptions args;

  @Option(names = "--master", defaultValue = "local[2]",
      description = "Spark master for the job (default: ${DEFAULT-VALUE}: two tasks feeding the one shared model, "
          + "which runs with libtorch's default threads as in the model-only loop).")
  String master;

  @Option(names = "--work-dir", defaultValue = "out/bench", description = "Scratch folder (default: ${DEFAULT-VALUE}).")
  Path workDir;

  @Option(names = "--job-warmup", defaultValue = "32",
      description = "Images of an unmeasured job run before the measured one (default: ${DEFAULT-VALUE}).")
  int jobWarmup;

  @Option(names = "--peer-python", description = "Also run models/tools/bench_eager.py with this interpreter (e.g. /usr/bin/python3).")
  String peerPython;

  @Override
  public Integer call() throws Exception {
    List<Path> files = args.files();
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("images", files.size());
    report.put("batch_size", args.batchSize);
    PipelineSettings threads = args.threads();
    Map<String, Object> modelOnly = ModelOnly.measure(args, ModelBenchOptions.decode(files), threads, null);
    report.put("model_only", modelOnly);

    try (SparkSessions.Handle h = SparkSessions.open("sparkseg bench", Map.of("spark.master", master), false)) {
      BenchJobs jobs = new BenchJobs(h, workDir, args.model, args.batchSize, threads, FlipTest.parse(args.flipTest),
          args.precision);
      // a first small run loads the model into this executor JVM and lets the JIT compile the
      // job's hot paths (Spark, Parquet, decode, paste), as they are for all but the first minute
      // of a long job; the measured run then shows the steady state
      RunSummary warm = jobs.run("bench-warmup", files.subList(0, Math.min(files.size(), jobWarmup)), 0);
      SegmentStageCpu cpu = new SegmentStageCpu("sparkseg bench: segment ");
      h.spark().sparkContext().addSparkListener(cpu);
      RunSummary s = jobs.run("bench", files, 0);
      h.spark().sparkContext().removeSparkListener(cpu);
      Map<String, Object> cpuUse = cpu.result();
      Map<String, Object> e2e = new LinkedHashMap<>();
      e2e.put("what", "spark segment job, " + master + ", batch " + args.batchSize + ", model already loaded");
      e2e.put("images_per_second", s.imagesPerSecond());
      e2e.put("timings", s.timings());
      e2e.put("cpu", cpuUse);
      e2e.put("warmup_run_timings", warm.timings());
      report.put("end_to_end", e2e);
      double modelIps = (double) modelOnly.get("images_per_second");
      double e2eIps = s.imagesPerSecond();
      report.put("end_to_end_over_model_only", e2eIps / modelIps);
      // the segment stage's rate includes a fixed cost per run (query planning, job start and
      // end: about a second); the rate inside the Spark job is what a long run approaches
      Object jobWall = cpuUse.get("wall_s");
      if (jobWall instanceof Double w && w > 0) {
        e2e.put("images_per_second_inside_spark_job", files.size() / w);
        report.put("inside_spark_job_over_model_only", files.size() / w / modelIps);
      }
    }
    if (peerPython != null) {
      Map<?, ?> peer = runPeer(files.size());
      report.put("peer_eager_torchvision", peer);
      double peerIps = ((Number) peer.get("images_per_second")).doubleValue();
      report.put("model_only_over_peer", (double) modelOnly.get("images_per_second") / peerIps);
    }
    System.out.println(BenchCommand.JSON.writeValueAsString(report));
    return 0;
  }

  private Map<?, ?> runPeer(int num) throws Exception {
    Process p = new ProcessBuilder(peerPython, "models/tools/bench_eager.py", "--bundle", args.model.toString(),
        "--images", args.images.toString(), "--num", String.valueOf(num), "--batch", String.valueOf(args.batchSize),
        "--threads", String.valueOf(Runtime.getRuntime().availableProcessors()),
        "--flip-test", FlipTest.parse(args.flipTest).name().toLowerCase(Locale.ROOT))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String last = null;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        last = line;
      }
    }
    if (p.waitFor() != 0 || last == null) {
      throw new IllegalStateException("peer benchmark failed (exit " + p.exitValue() + ")");
    }
    return BenchCommand.JSON.readValue(last, Map.class);
  }
}
