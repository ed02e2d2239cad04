package io.sparkseg.job.cli.bench;

import io.sparkseg.job.evaluate.EvaluateBench;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench eval}: COCO evaluation timings on a large synthetic case ({@link EvaluateBench}), or
 * with {@code --peer-python}, sparkseg's {@code evaluate} against pycocotools process by process
 * ({@link EvalSideBySide}).
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {"COCO evaluate+accumulate timings on a large synthetic case, single-threaded and on Spark.",
        "With --peer-python and --peer-path: the `evaluate` command and pycocotools as whole processes on the case",
        "written as COCO JSON, for bbox, segm and keypoints: times, peak RSS, ratios, and a check that the stats agree."})
final class EvalBench implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--images", defaultValue = "5000") int images;
  @Option(names = "--gts", defaultValue = "36000") int gts;
  @Option(names = "--dets", defaultValue = "500000") int dets;
  @Option(names = "--master", defaultValue = "local[2]") String master;
  @Option(names = "--partitions", defaultValue = "8") int partitions;
  @Option(names = "--which", defaultValue = "all", description = "core, spark or all") EvaluateBench.Which which;

  @Option(names = "--peer-python", paramLabel = "PYTHON",
      description = "Compare with pycocotools run by this interpreter (e.g. /usr/bin/python3), via " +
          "models/tools/bench_cocoeval.py.")
  String peerPython;

  @Option(names = "--peer-path", paramLabel = "DIR",
      description = "The folder holding the pycocotools package (a local build; sparkseg does not ship it).")
  Path peerPath;

  @Option(names = "--work-dir", paramLabel = "DIR",
      description = "Where the side-by-side run writes the JSON files and logs (kept); default: a temporary folder, deleted.")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (peerPython == null) {
      EvaluateBench.run(new EvaluateBench.Settings(images, gts, dets, master, partitions, which), out);
      return 0;
    }
    if (peerPath == null || !Files.isDirectory(peerPath.resolve("pycocotools"))) {
      throw new ParameterException(spec.commandLine(), "--peer-path must name the folder that holds the pycocotools "
          + "package (got " + peerPath + ")");
    }
    Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("sparkseg-bench-eval");
    try {
      Map<String, Object> report = new EvalSideBySide(dir, peerPython, peerPath, out).run(images, gts, dets, EvaluateBench.SEED);
      out.println(BenchCommand.JSON.writeValueAsString(report));
      out.flush();
    } finally {
      if (workDir == null) {
        EvalSideBySide.delete(dir);
      }
    }
    return 0;
  }
}
