package io.sparkseg.job.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparkseg.core.bench.CpuUse;
import io.sparkseg.core.bench.ModelThroughput;
import io.sparkseg.core.bench.ProcessMemory;
import io.sparkseg.core.bench.TorchProfile;
import io.sparkseg.core.image.DecodeResult;
import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.model.FlipTest;
import io.sparkseg.core.model.LibtorchThreads;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.ModelBundle;
import io.sparkseg.core.model.PredictOptions;
import io.sparkseg.job.evaluate.EvaluateBench;
import io.sparkseg.job.input.InputSpec;
import io.sparkseg.job.output.RunSummary;
import io.sparkseg.job.segment.PipelineSettings;
import io.sparkseg.job.segment.SegmentJob;
import io.sparkseg.job.segment.SegmentOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sparkseg bench}: throughput measurements, never timed tests. {@code model} times the
 * forward pass alone on pre-made batches (the ceiling on this machine); {@code e2e} measures that
 * ceiling and then the whole Spark job on the same images in one run and prints their ratio (and
 * the eager-torchvision peer's, when {@code --peer-python} is given); {@code soak} follows the
 * process memory over thousands of images; {@code eval} times COCO evaluation on a large synthetic case.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Throughput and memory benchmarks (model-only, end to end, soak, evaluation).",
    subcommands = {BenchCommand.Model.class, BenchCommand.EndToEnd.class, BenchCommand.Soak.class, BenchCommand.Eval.class})
public final class BenchCommand implements Runnable {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final int PROFILE_TOP = 15;

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  /** Options shared by the model benchmarks. */
  static class ModelArgs {
    @Option(names = "--model", defaultValue = "samples/model", description = "Local bundle folder (default: ${DEFAULT-VALUE}).")
    Path model;

    @Option(names = "--images", defaultValue = "samples/images", description = "Folder of images (default: ${DEFAULT-VALUE}).")
    Path images;

    @Option(names = "--num", defaultValue = "20", description = "Images to measure over (cycled; default: ${DEFAULT-VALUE}).")
    int num;

    @Option(names = "--batch-size", defaultValue = "1", description = "Images per forward pass (default: ${DEFAULT-VALUE}, as the job).")
    int batchSize;

    @Option(names = "--warmup", defaultValue = "2", description = "Unmeasured batches first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--inference-threads", defaultValue = "0",
        description = "Threads running forward passes concurrently, in the model-only loop and in the job "
            + "(default: ${DEFAULT-VALUE} = auto, as segment: one per core).")
    int inferenceThreads;

    @Option(names = "--flip-test", defaultValue = "auto", paramLabel = "auto|on|off",
        description = "Flip test-time augmentation of the mask and keypoint heads, as segment's option: auto (the "
            + "bundle's default), on or off (default: ${DEFAULT-VALUE}).")
    String flipTest;

    @Option(names = "--torch-threads", defaultValue = "0",
        description = "libtorch intra-op threads per forward pass, in the model-only loop and in the job "
            + "(default: ${DEFAULT-VALUE} = auto, as segment: cores / inference threads).")
    int torchThreads;

    /**
     * The thread counts the job's auto settings give on this machine (its cores; a CPU), applied
     * to libtorch now so the model-only loop runs exactly as the job will.
     */
    PipelineSettings threads() {
      PipelineSettings s = PipelineSettings.forBatch(batchSize, inferenceThreads, torchThreads)
          .resolved(Runtime.getRuntime().availableProcessors(), false, LibtorchThreads.setByUser());
      if (s.torchThreads() > 0) {
        LibtorchThreads.set(s.torchThreads());
      }
      return s;
    }

    List<Path> files() throws Exception {
      List<Path> all;
      try (Stream<Path> s = Files.list(images)) {
        all = s.filter(p -> p.getFileName().toString().matches("(?i).*\\.(jpe?g|png)$")).sorted().toList();
      }
      if (all.isEmpty()) {
        throw new IllegalArgumentException("no .jpg/.png images in " + images);
      }
      List<Path> files = new ArrayList<>();
      for (int i = 0; i < num; i++) {
        files.add(all.get(i % all.size()));
      }
      return files;
    }

    List<RgbImage> decode(List<Path> files) throws Exception {
      ImageDecoder decoder = new ImageDecoder();
      List<RgbImage> out = new ArrayList<>();
      for (Path f : files) {
        DecodeResult r = decoder.decode(Files.readAllBytes(f));
        if (!r.isOk()) {
          throw new IllegalArgumentException(f + ": " + r.message());
        }
        out.add(r.image());
      }
      return out;
    }

    /** The model-only measurement; with {@code torchProfile}, libtorch's profiler records it into that file. */
    Map<String, Object> modelOnly(List<RgbImage> imgs, PipelineSettings threads, Path torchProfile)
        throws IOException {
      ModelBundle bundle = ModelBundle.load(model);
      try (MaskRcnnModel m = MaskRcnnModel.load(bundle, "cpu", FlipTest.parse(flipTest))) {
        PredictOptions options = bundle.defaultOptions();
        TorchProfile profile = torchProfile == null ? null : TorchProfile.to(torchProfile);
        ModelThroughput.Result r = ModelThroughput.forwardOnly(m, imgs, batchSize, warmup, imgs.size(), options,
            threads.inferenceThreads(), profile);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("what", r.what());
        out.put("torch_threads", LibtorchThreads.current());
        out.put("flip_test", m.flips());
        out.put("images", r.images());
        out.put("seconds", r.seconds());
        out.put("images_per_second", r.imagesPerSecond());
        out.put("ms_per_image", r.msPerImage());
        out.put("instances", r.instances());
        out.put("postprocess_us_per_instance", r.postprocessMicrosPerInstance());
        if (profile != null) {
          out.put("torch_profile", profileSummary(profile, r.images()));
        }
        return out;
      }
    }
  }

  /** The trace's path and its top operators by self time, in ms per image. */
  static Map<String, Object> profileSummary(TorchProfile profile, int images) throws IOException {
    List<Map<String, Object>> ops = new ArrayList<>();
    for (TorchProfile.OperatorTime t : TorchProfile.topBySelfTime(profile.trace(), PROFILE_TOP)) {
      Map<String, Object> op = new LinkedHashMap<>();
      op.put("operator", t.name());
      op.put("self_ms_per_image", t.selfMillis() / images);
      op.put("calls", t.calls());
      ops.add(op);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("trace", profile.trace().toString());
    out.put("top_operators", ops);
    return out;
  }

  @Command(name = "model", mixinStandardHelpOptions = true,
      description = "Model forward pass alone on pre-made batches: images/s, ms/image, paste+RLE cost per instance.")
  static final class Model implements Callable<Integer> {
    @picocli.CommandLine.Mixin ModelArgs args;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--torch-profile", description = "Record libtorch's profiler over the measured passes into this "
        + "Chrome-trace JSON file and print the operators with the most self time (one inference thread: the "
        + "profiler records the thread that starts it).")
    Path torchProfile;

    @Override
    public Integer call() throws Exception {
      if (torchProfile != null) {
        if (args.inferenceThreads > 1) {
          spec.commandLine().getErr().println("--torch-profile: libtorch's profiler records one thread; run it "
              + "with --inference-threads 1, not " + args.inferenceThreads);
          return ExitCodes.USAGE;
        }
        args.inferenceThreads = 1;
      }
      spec.commandLine().getOut().println(
          JSON.writeValueAsString(args.modelOnly(args.decode(args.files()), args.threads(), torchProfile)));
      return 0;
    }
  }

  @Command(name = "e2e", mixinStandardHelpOptions = true,
      description = "Model-only, then the Spark segment job on the same images and model, in one run; prints both and the ratio.")
  static final class EndToEnd implements Callable<Integer> {
    @picocli.CommandLine.Mixin ModelArgs args;

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
      Map<String, Object> modelOnly = args.modelOnly(args.decode(files), threads, null);
      report.put("model_only", modelOnly);

      try (SparkSessions.Handle h = SparkSessions.open("sparkseg bench", Map.of("spark.master", master), false)) {
        Jobs jobs = new Jobs(h, workDir, args.model, args.batchSize, threads, FlipTest.parse(args.flipTest));
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
        e2e.put("images_per_second", s.get("images_per_second"));
        e2e.put("timings", s.get("timings"));
        e2e.put("cpu", cpuUse);
        e2e.put("warmup_run_timings", warm.get("timings"));
        report.put("end_to_end", e2e);
        double modelIps = (double) modelOnly.get("images_per_second");
        double e2eIps = ((Number) s.get("images_per_second")).doubleValue();
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
      System.out.println(JSON.writeValueAsString(report));
      return 0;
    }

    private Map<?, ?> runPeer(int num) throws Exception {
      Process p = new ProcessBuilder(peerPython, "models/tools/bench_eager.py", "--bundle", args.model.toString(),
          "--images", args.images.toString(), "--num", String.valueOf(num), "--batch", String.valueOf(args.batchSize),
          "--threads", String.valueOf(Runtime.getRuntime().availableProcessors()),
          "--flip-test", FlipTest.parse(args.flipTest).name().toLowerCase(java.util.Locale.ROOT))
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
      return JSON.readValue(last, Map.class);
    }
  }

  /**
   * CPU use of this JVM (local mode: driver and executor) during the segment job whose description
   * starts with {@code description}: how busy the cores were and the inference threads' share.
   */
  static final class SegmentStageCpu extends SparkListener {
    private final String description;
    private volatile Integer jobId;
    private volatile CpuUse started;
    private volatile Map<String, Object> result = Map.of();

    SegmentStageCpu(String description) {
      this.description = description;
    }

    @Override
    public void onJobStart(SparkListenerJobStart start) {
      String d = start.properties() == null ? null : start.properties().getProperty("spark.job.description");
      if (jobId == null && d != null && d.startsWith(description)) {
        jobId = start.jobId();
        started = CpuUse.start("sparkseg-inference");
      }
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd end) {
      Integer id = jobId;
      if (id != null && id == end.jobId() && started != null) {
        result = started.sinceStart();
      }
    }

    /** The figures (seconds are as seen by Spark's listener bus, a few ms late at both ends). */
    Map<String, Object> result() {
      return result;
    }
  }

  /** Runs the segment job in this JVM on lists of sample files (local mode: the driver is the executor). */
  static final class Jobs {
    private final SparkSessions.Handle session;
    private final Path workDir;
    private final Path model;
    private final int batchSize;
    private final PipelineSettings threads;
    private final FlipTest flip;
    private long nextId = 1;

    Jobs(SparkSessions.Handle session, Path workDir, Path model, int batchSize, PipelineSettings threads, FlipTest flip)
        throws Exception {
      this.flip = flip;
      this.session = session;
      this.workDir = workDir;
      this.model = model;
      this.batchSize = batchSize;
      this.threads = threads;
      Files.createDirectories(workDir);
    }

    /** One run over {@code files} (ids continue across runs, so every image is a new one). */
    RunSummary run(String runId, List<Path> files, int partitions) throws Exception {
      Path manifest = workDir.resolve(runId + "-manifest.csv");
      StringBuilder csv = new StringBuilder("path,image_id\n");
      for (Path f : files) {
        csv.append(f.toAbsolutePath()).append(',').append(nextId++).append('\n');
      }
      Files.writeString(manifest, csv.toString());
      SegmentOptions o = new SegmentOptions(new InputSpec(null, manifest.toString(), null, null),
          workDir.resolve("out").toAbsolutePath().toString(), model.toAbsolutePath().toUri().toString(), runId,
          PipelineSettings.forBatch(batchSize, threads.inferenceThreads(), threads.torchThreads()), null, null, partitions, 100_000_000L, 1.0, null, null, null, "cpu", flip,
          workDir.resolve("cache").toAbsolutePath().toString(), 0);
      return SegmentJob.run(session.spark(), o);
    }
  }

  @Command(name = "soak", mixinStandardHelpOptions = true,
      description = "Memory over a long run: the segment job over --num images (the samples cycled) in runs of "
          + "--step images in one JVM, printing the process RSS, the Java heap and the RSS outside the committed heap "
          + "after each run (a default JVM grows its heap for a while: SPARKSEG_JAVA_OPTS='-Xms2g -Xmx2g' gives an "
          + "executor-like fixed heap).")
  static final class Soak implements Callable<Integer> {
    @picocli.CommandLine.Mixin ModelArgs args;

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
        Jobs jobs = new Jobs(h, workDir, args.model, args.batchSize, args.threads(), FlipTest.parse(args.flipTest));
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
          p.put("images_per_second", s.get("images_per_second"));
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
      System.out.println(JSON.writeValueAsString(report));
      return 0;
    }
  }

  @Command(name = "eval", mixinStandardHelpOptions = true,
      description = "COCO evaluate+accumulate timings on a large synthetic case, single-threaded and on Spark.")
  static final class Eval implements Callable<Integer> {
    @Option(names = "--images", defaultValue = "5000") int images;
    @Option(names = "--gts", defaultValue = "36000") int gts;
    @Option(names = "--dets", defaultValue = "500000") int dets;
    @Option(names = "--master", defaultValue = "local[2]") String master;
    @Option(names = "--partitions", defaultValue = "8") int partitions;
    @Option(names = "--which", defaultValue = "all", description = "core, spark or all") String which;

    @Override
    public Integer call() {
      EvaluateBench.main(new String[] {String.valueOf(images), String.valueOf(gts), String.valueOf(dets), master,
          String.valueOf(partitions), which});
      return 0;
    }
  }
}
