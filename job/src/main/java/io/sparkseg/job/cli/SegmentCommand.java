package io.sparkseg.job.cli;

import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.model.InvalidBundleException;
import io.sparkseg.job.config.Durability;
import io.sparkseg.job.config.Outputs;
import io.sparkseg.job.config.RunLimits;
import io.sparkseg.job.config.SegmentConfig;
import io.sparkseg.job.config.SegmentKeys;
import io.sparkseg.job.executor.Device;
import io.sparkseg.job.executor.ImageBytes;
import io.sparkseg.job.executor.ModelRef;
import io.sparkseg.job.executor.PipelineSettings;
import io.sparkseg.job.executor.Thresholds;
import io.sparkseg.job.fs.ModelUris;
import io.sparkseg.job.input.InputException;
import io.sparkseg.job.input.InputSpec;
import io.sparkseg.job.output.TableRegistrar;
import io.sparkseg.job.run.RunConflictException;
import io.sparkseg.job.run.RunLockedException;
import io.sparkseg.job.run.RunStatus;
import io.sparkseg.job.run.RunSummary;
import io.sparkseg.job.run.SegmentJob;
import java.io.PrintWriter;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sparkseg segment}: reads images (folder/glob, manifest, or COCO image list), runs the
 * Mask R-CNN bundle on them in Spark tasks, and writes the run's {@code instances} and
 * {@code images} tables (and the {@code runs} table) under {@code --output} in commits, plus a run
 * summary. Options, input and model are validated on the driver before any task runs (exit code 2
 * on problems, and when another attempt holds the run or the run id belongs to another model or input).
 */
@Command(
    name = "segment",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Segment images with a Mask R-CNN bundle and write per-instance tables, commit by commit.",
        "Output (parquet): <output>/instances/run_id=<id>/commit=<k>/, <output>/images/run_id=<id>/commit=<k>/,",
        "<output>/runs/run_id=<id>/, <output>/_summary/<id>.json. After a crash, run the same command again.",
        "Defaults come from conf/sparkseg-defaults.properties (keys: option names without dashes,",
        "optionally prefixed 'segment.'); flags override them.",
        "Exit codes: 0 ok, 1 run failed, 2 bad options/input/model or the run is locked or belongs to another",
        "model or input (nothing ran), 3 too many failed images."})
public final class SegmentCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--input", paramLabel = "PATH",
      description = "Folder (recursive) or glob of images on file://, hdfs://, s3a://, ...")
  String input;

  @Option(names = "--manifest", paramLabel = "FILE",
      description = "Parquet, CSV (header) or JSON-lines file with a 'path' column and optional 'image_id'; "
          + "relative paths are resolved against the manifest's folder, or inside --image-root when given.")
  String manifest;

  @Option(names = "--coco-images", paramLabel = "GT.json",
      description = "COCO file whose images[].id/file_name are the input (with --image-root).")
  String cocoImages;

  @Option(names = "--image-root", paramLabel = "DIR",
      description = "Folder the COCO file_name values (or the --manifest paths) are relative to; a name that is "
          + "absolute or climbs out of it with .. is not read (status refused_path).")
  String imageRoot;

  @Option(names = "--output", paramLabel = "DIR", description = "Output root (file://, hdfs://, s3a://).")
  String output;

  @Option(names = "--" + SegmentKeys.MODEL, paramLabel = "URI",
      description = "Model bundle (model.json + TorchScript): a folder or a zip of one, on any Hadoop file system. "
          + "Default: ${DEFAULT-VALUE}")
  String model;

  @Option(names = "--run-id", paramLabel = "ID",
      description = "Run id, the output partition value; re-running an id resumes or replaces it (--mode). "
          + "Default: UTC timestamp yyyyMMdd-HHmmss.")
  String runId;

  @Option(names = "--" + SegmentKeys.BATCH_SIZE, paramLabel = "N",
      description = "Images per forward pass at most; batches form across all tasks of an executor (1 suits CPU "
          + "executors, which run a pass per core instead; raise it for GPUs). Default: ${DEFAULT-VALUE}")
  int batchSize;

  @Option(names = "--" + SegmentKeys.MAX_BATCH_WAIT_MS, paramLabel = "MS",
      description = "How long the model waits for a batch to fill before running a smaller one. Default: ${DEFAULT-VALUE}")
  long maxBatchWaitMs;

  @Option(names = "--" + SegmentKeys.PREFETCH, paramLabel = "N",
      description = "Images each task keeps read and decoded ahead of the model (bounds memory). Default: ${DEFAULT-VALUE}")
  int prefetch;

  @Option(names = "--" + SegmentKeys.PREPARE_THREADS, paramLabel = "N",
      description = "Threads per executor that read and decode images (0 = one per executor core). Default: ${DEFAULT-VALUE}")
  int prepareThreads;

  @Option(names = "--" + SegmentKeys.INFERENCE_THREADS, paramLabel = "N",
      description = "Threads per executor running forward passes of the one model (0 = auto: one per executor "
          + "core on a CPU, 1 on a GPU). Default: ${DEFAULT-VALUE}")
  int inferenceThreads;

  @Option(names = "--" + SegmentKeys.TORCH_THREADS, paramLabel = "N",
      description = "libtorch intra-op threads per forward pass (0 = auto: executor cores / inference threads "
          + "on a CPU, libtorch's own count on a GPU or when -Dai.djl.pytorch.num_threads is set). "
          + "Default: ${DEFAULT-VALUE}")
  int torchThreads;

  @Option(names = "--" + SegmentKeys.POSTPROCESS_THREADS, paramLabel = "N",
      description = "Threads per executor that paste masks and encode RLE (0 = half the executor cores, at least 1). Default: ${DEFAULT-VALUE}")
  int postprocessThreads;

  @Option(names = "--" + SegmentKeys.SCORE_THRESHOLD, paramLabel = "P",
      description = "Minimum instance score in [0,1]. Default: the bundle's.")
  Float scoreThreshold;

  @Option(names = "--" + SegmentKeys.MASK_THRESHOLD, paramLabel = "P",
      description = "Mask probability threshold in [0,1]. Default: the bundle's.")
  Float maskThreshold;

  @Option(names = "--" + SegmentKeys.PARTITIONS, paramLabel = "N",
      description = "Spark partitions for the images (0 = auto: about 256 images each, at least the default parallelism). Default: ${DEFAULT-VALUE}")
  int partitions;

  @Option(names = "--" + SegmentKeys.MAX_IMAGE_PIXELS, paramLabel = "N",
      description = "Images whose header declares more pixels are refused before decoding (status too_large); "
          + "at most " + ImageDecoder.MAX_PIXELS_LIMIT + ". Default: ${DEFAULT-VALUE}")
  long maxImagePixels;

  @Option(names = "--" + SegmentKeys.MAX_IMAGE_BYTES, paramLabel = "N",
      description = "Image files with more bytes are refused from their file status, before any byte is read "
          + "(status too_large); at most " + ImageBytes.MAX_BYTES_LIMIT + ". Default: ${DEFAULT-VALUE}")
  long maxImageBytes;

  @Option(names = "--" + SegmentKeys.MAX_FAILED_FRACTION, paramLabel = "F",
      description = "Exit with code 3 when more than this fraction of images did not get status ok. Default: ${DEFAULT-VALUE}")
  double maxFailedFraction;

  @Option(names = "--summary-json", paramLabel = "FILE", description = "Also write the run summary JSON here.")
  String summaryJson;

  @Option(names = "--register-tables", paramLabel = "DB",
      description = "Also name the run's tables DB.instances and DB.images in the session catalog: external tables "
          + "over the output (parquet, delta; delta needs Delta's spark_catalog), views over the Iceberg tables (iceberg).")
  String registerTables;

  @Option(names = "--coco-results", paramLabel = "FILE",
      description = "Export the run's detections as a COCO results JSON (pycocotools loadRes format).")
  String cocoResults;

  @Option(names = "--" + SegmentKeys.DEVICE, paramLabel = "DEV",
      description = "auto (the task's Spark-assigned GPU, else CPU), cpu, gpu or gpu:N. Default: ${DEFAULT-VALUE}")
  String device;

  @Option(names = "--" + SegmentKeys.FLIP_TEST, paramLabel = "auto|on|off",
      description = "Flip test-time augmentation: the mask and keypoint heads also run on the mirrored image "
          + "(better masks and keypoints, same boxes, more inference time: README \"Figures\"). "
          + "auto: as the bundle does by default (test_time.flip); on/off need a bundle that can switch it. "
          + "Default: ${DEFAULT-VALUE}")
  String flipTest;

  @Option(names = "--" + SegmentKeys.PRECISION, paramLabel = "fp32|fp16|bf16",
      description = "Floating-point precision of the model's convolutions: fp32 (the bundle's model.pt), fp16 or "
          + "bf16 (a variant the bundle declares; make one with `python3 -m sparkseg_models.precision`). fp16 is "
          + "for GPUs; a CPU runs both only if its libtorch kernels exist, and fast only with native "
          + "bf16/fp16 instructions (README \"Figures\"). Default: ${DEFAULT-VALUE}")
  String precision;

  @Option(names = "--" + SegmentKeys.MODEL_CACHE_DIR, paramLabel = "DIR",
      description = "Local folder that remote bundles and bundle archives are copied and unpacked into, one entry "
          + "per model sha256, made private to the user (0700). Default: <java.io.tmpdir>/sparkseg-model-cache-<user> "
          + "of each host")
  String modelCacheDir;

  @Option(names = "--" + SegmentKeys.PROGRESS_INTERVAL, paramLabel = "SECONDS",
      description = "Seconds between progress log lines (0 = off). Default: ${DEFAULT-VALUE}")
  double progressInterval;

  @Option(names = "--" + SegmentKeys.COMMIT_IMAGES, paramLabel = "N",
      description = "Images per commit: each commit writes its rows of both tables before the next starts, so a "
          + "crash loses at most the commit in flight and the same command resumes after it. Default: ${DEFAULT-VALUE}")
  int commitImages;

  @Option(names = "--" + SegmentKeys.MODE, paramLabel = "auto|replace|incremental",
      description = "auto: a new run id runs, an unfinished one resumes after its commits, a finished one computes "
          + "nothing and prints its summary; replace: recompute the run, readers keep the previous one until it "
          + "succeeds; incremental: as auto, skipping images an earlier succeeded run under --output segmented ok "
          + "with the same model from the same file content. Default: ${DEFAULT-VALUE}")
  String mode;

  @Option(names = "--" + SegmentKeys.TABLE_FORMAT, paramLabel = "parquet|delta|iceberg",
      description = "Table format of instances, images and runs: parquet folders or Delta Lake tables under "
          + "--output, or Iceberg tables in --output CATALOG.NAMESPACE. Default: ${DEFAULT-VALUE}")
  String tableFormat;

  @Option(names = "--" + SegmentKeys.LOCK_TIMEOUT_S, paramLabel = "SECONDS",
      description = "A second attempt on a running run id fails at once; the run's lock counts as stale (and is "
          + "taken over) when its holder's process on this host is gone or it has not been renewed for this long. "
          + "Default: ${DEFAULT-VALUE}")
  double lockTimeoutS;

  @picocli.CommandLine.Mixin
  SparkConfOption spark = new SparkConfOption();

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    SegmentConfig config = config();
    List<String> problems = validateOptions(config);
    if (!problems.isEmpty()) {
      for (String p : problems) {
        err.println("sparkseg segment: " + p);
      }
      err.println("Run 'sparkseg segment --help' for the options.");
      err.flush();
      return ExitCodes.USAGE;
    }
    String id = config.outputs().runId();
    Map<String, String> sessionConf = config.durability().format().sessionConf(spark.values());
    try (SparkSessions.Handle h = SparkSessions.open("sparkseg segment " + id, sessionConf, registerTables != null)) {
      String sessionProblem = registerTables == null ? null
          : TableRegistrar.sessionProblem(h.spark(), config.durability().format());
      if (sessionProblem != null) {
        return usage(err, sessionProblem);
      }
      Configuration hconf = h.spark().sparkContext().hadoopConfiguration();
      try {
        config = config.withModelUri(resolveModel(model, hconf));
      } catch (RuntimeException e) {
        return usage(err, "model bundle " + model + ": " + e.getMessage());
      }
      RunSummary summary;
      try {
        summary = SegmentJob.run(h.spark(), config);
      } catch (InvalidBundleException | InputException | RunLockedException | RunConflictException e) {
        return usage(err, e.getMessage());
      }
      PrintWriter out = spec.commandLine().getOut();
      out.println(summary.toJson());
      out.flush();
      if (summary.status() == RunStatus.FAILED_FRACTION_EXCEEDED) {
        err.println("sparkseg segment: " + summary.imagesFailed() + " of " + summary.imagesTotal()
            + " images failed (fraction " + summary.failedFraction() + " > --max-failed-fraction "
            + maxFailedFraction + "); output was written for run " + id);
        err.flush();
        return ExitCodes.TOO_MANY_FAILED;
      }
      return ExitCodes.OK;
    } catch (SharedSessionSecretsException e) {
      return usage(err, e.getMessage());
    } catch (Exception e) {
      err.println("sparkseg segment: run failed: " + e);
      e.printStackTrace(err);
      err.flush();
      return ExitCodes.FAILED;
    }
  }

  private static int usage(PrintWriter err, String message) {
    err.println("sparkseg segment: " + message);
    err.flush();
    return ExitCodes.USAGE;
  }

  /** Every problem of the options: the configuration's and the --conf pairs'. */
  List<String> validateOptions(SegmentConfig config) {
    List<String> problems = new ArrayList<>(config.validate());
    for (Map.Entry<String, String> e : spark.values().entrySet()) {
      if (e.getKey().isBlank() || e.getValue() == null || e.getValue().isEmpty()) {
        problems.add("--conf needs KEY=VALUE, got '" + e.getKey() + "'");
      }
    }
    return problems;
  }

  /** {@link #validateOptions(SegmentConfig)} of these options (deploy tests check launchers' arguments with it). */
  List<String> validateOptions() {
    return validateOptions(config());
  }

  /** The parsed options as a typed configuration, not yet validated; the run id defaults to the UTC time. */
  SegmentConfig config() {
    String id = runId != null ? runId
        : ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    return new SegmentConfig(
        new InputSpec(input, manifest, cocoImages, imageRoot),
        new ModelRef(model, modelCacheDir, flipTest, new Device(device), precision),
        new Thresholds(scoreThreshold, maskThreshold, maxImagePixels, maxImageBytes),
        new PipelineSettings(batchSize, maxBatchWaitMs, prefetch, prepareThreads, postprocessThreads, inferenceThreads,
            torchThreads),
        new Outputs(output, id, summaryJson, registerTables, cocoResults),
        new RunLimits(partitions, maxFailedFraction, progressInterval),
        new Durability(commitImages, mode, tableFormat, lockTimeoutS));
  }

  /** The canonical bundle URI for a --model value (see {@link ModelUris}). */
  static String resolveModel(String model, Configuration conf) {
    return ModelUris.qualify(model, conf);
  }
}
