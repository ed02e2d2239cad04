package io.sparkseg.job.cli.bench;

import io.sparkseg.job.evaluate.EvaluateBench;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bench eval}: COCO evaluation timings on a large synthetic case ({@link EvaluateBench}). */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "COCO evaluate+accumulate timings on a large synthetic case, single-threaded and on Spark.")
final class EvalBench implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--images", defaultValue = "5000") int images;
  @Option(names = "--gts", defaultValue = "36000") int gts;
  @Option(names = "--dets", defaultValue = "500000") int dets;
  @Option(names = "--master", defaultValue = "local[2]") String master;
  @Option(names = "--partitions", defaultValue = "8") int partitions;
  @Option(names = "--which", defaultValue = "all", description = "core, spark or all") EvaluateBench.Which which;

  @Override
  public Integer call() {
    EvaluateBench.run(new EvaluateBench.Settings(images, gts, dets, master, partitions, which),
        spec.commandLine().getOut());
    return 0;
  }
}
