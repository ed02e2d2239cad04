package io.sparkseg.job.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code sparkseg bench}: throughput measurements, never timed tests. {@code model} times the
 * forward pass alone on pre-made batches (the ceiling on this machine); {@code e2e} measures that
 * ceiling and then the whole Spark job on the same images in one run and prints their ratio (and
 * the eager-torchvision peer's, when {@code --peer-python} is given); {@code soak} follows the
 * process memory over thousands of images; {@code eval} times COCO evaluation on a large synthetic case;
 * {@code scale} runs segment on a dataset-size manifest in child JVMs, killed midway and resumed.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Throughput and memory benchmarks (model-only, end to end, soak, evaluation, scale).",
    subcommands = {ModelBench.class, EndToEndBench.class, SoakBench.class, EvalBench.class, EvalScaleBench.class, ScaleBench.class})
public final class BenchCommand implements Runnable {
  /** How every bench prints its report. */
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
