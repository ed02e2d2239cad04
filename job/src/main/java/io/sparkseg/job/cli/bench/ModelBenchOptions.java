package io.sparkseg.job.cli.bench;

import io.sparkseg.core.image.DecodeResult;
import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.model.LibtorchThreads;
import io.sparkseg.job.config.SegmentKeys;
import io.sparkseg.job.executor.PipelineSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/** The options {@code bench model}, {@code e2e} and {@code soak} share (a picocli mixin), and what they give. */
final class ModelBenchOptions {
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

  @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|fp16|bf16",
      description = "The bundle's model file to run, as segment's option: fp32 (model.pt) or a variant the bundle "
          + "declares (default: ${DEFAULT-VALUE}).")
  String precision;

  @Option(names = "--torch-threads", defaultValue = "0",
      description = "libtorch intra-op threads per forward pass, in the model-only loop and in the job "
          + "(default: ${DEFAULT-VALUE} = auto, as segment: cores / inference threads).")
  int torchThreads;

  /**
   * The thread counts the job's auto settings give on this machine (its cores; a CPU), applied
   * to libtorch now so the model-only loop runs exactly as the job will.
   */
  PipelineSettings threads() {
    PipelineSettings s = SegmentKeys.defaultPipeline(batchSize, inferenceThreads, torchThreads)
        .resolved(Runtime.getRuntime().availableProcessors(), false, LibtorchThreads.setByUser());
    if (s.torchThreads() > 0) {
      LibtorchThreads.set(s.torchThreads());
    }
    return s;
  }

  /** {@code --num} images of {@code --images}, in name order, cycled. */
  List<Path> files() throws Exception {
    List<Path> all = imageFiles(images);
    if (all.isEmpty()) {
      throw new IllegalArgumentException("no .jpg/.png images in " + images);
    }
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < num; i++) {
      files.add(all.get(i % all.size()));
    }
    return files;
  }

  /** The .jpg/.png files of a folder, in name order. */
  static List<Path> imageFiles(Path folder) throws java.io.IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.filter(p -> p.getFileName().toString().matches("(?i).*\\.(jpe?g|png)$")).sorted().toList();
    }
  }

  static List<RgbImage> decode(List<Path> files) throws Exception {
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
}
