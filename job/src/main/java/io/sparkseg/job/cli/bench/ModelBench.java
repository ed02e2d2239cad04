package io.sparkseg.job.cli.bench;

import io.sparkseg.job.cli.ExitCodes;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bench model}: the forward pass alone on pre-made batches, the ceiling on this machine. */
@Command(name = "model", mixinStandardHelpOptions = true,
    description = "Model forward pass alone on pre-made batches: images/s, ms/image, paste+RLE cost per instance.")
final class ModelBench implements Callable<Integer> {
  @Mixin ModelBenchOptions args;

  @Spec CommandSpec spec;

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
    spec.commandLine().getOut().println(BenchCommand.JSON.writeValueAsString(
        ModelOnly.measure(args, ModelBenchOptions.decode(args.files()), args.threads(), torchProfile)));
    return 0;
  }
}
