package io.sparkseg.job.config;

import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.job.executor.PipelineSettings;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every segment setting's key and built-in default, in one place: the CLI's option names ({@code --KEY}),
 * the keys of {@code sparkseg-defaults.properties} ({@code segment.KEY} or {@code KEY}) and the ML
 * transformer's param defaults all come from here. Precedence: {@link Defaults}.
 */
public final class SegmentKeys {
  private SegmentKeys() {}

  /** The command whose settings these are; also the prefix of its keys in the defaults file. */
  public static final String COMMAND = "segment";

  // model: no built-in default; the shipped defaults file names the embedded sample bundle
  public static final String MODEL = "model";
  public static final String MODEL_CACHE_DIR = "model-cache-dir"; // none = <java.io.tmpdir>/sparkseg-model-cache-<user> of each host
  public static final String DEVICE = "device";
  public static final String DEVICE_DEFAULT = "auto";
  public static final String FLIP_TEST = "flip-test";
  public static final String FLIP_TEST_DEFAULT = "auto";
  public static final String PRECISION = "precision"; // fp32 = model.pt; fp16/bf16 = a variant the bundle declares
  public static final String PRECISION_DEFAULT = "fp32";

  // thresholds: none = the bundle's own (model.json)
  public static final String SCORE_THRESHOLD = "score-threshold";
  public static final String MASK_THRESHOLD = "mask-threshold";
  public static final String MAX_IMAGE_PIXELS = "max-image-pixels";
  public static final long MAX_IMAGE_PIXELS_DEFAULT = ImageDecoder.DEFAULT_MAX_PIXELS;
  public static final String MAX_IMAGE_BYTES = "max-image-bytes";
  public static final long MAX_IMAGE_BYTES_DEFAULT = 300_000_000L; // an uncompressed RGB image at the pixel default

  // executor pipeline; a thread count of 0 means auto
  public static final String BATCH_SIZE = "batch-size";
  public static final int BATCH_SIZE_DEFAULT = 1;
  public static final String MAX_BATCH_WAIT_MS = "max-batch-wait-ms";
  public static final long MAX_BATCH_WAIT_MS_DEFAULT = 50;
  public static final String PREFETCH = "prefetch";
  public static final int PREFETCH_DEFAULT = 8;
  public static final String PREPARE_THREADS = "prepare-threads";
  public static final String POSTPROCESS_THREADS = "postprocess-threads";
  public static final String INFERENCE_THREADS = "inference-threads";
  public static final String TORCH_THREADS = "torch-threads";
  public static final int AUTO_THREADS = 0;

  // run limits
  public static final String PARTITIONS = "partitions";
  public static final int PARTITIONS_DEFAULT = 0; // auto
  public static final String MAX_FAILED_FRACTION = "max-failed-fraction";
  public static final double MAX_FAILED_FRACTION_DEFAULT = 1.0;
  public static final String PROGRESS_INTERVAL = "progress-interval";
  public static final double PROGRESS_INTERVAL_DEFAULT = 30;

  // durability: commits, resume, table format
  public static final String COMMIT_IMAGES = "commit-images";
  public static final int COMMIT_IMAGES_DEFAULT = 1000;
  public static final String MODE = "mode";
  public static final String MODE_DEFAULT = "auto";
  public static final String TABLE_FORMAT = "table-format";
  public static final String TABLE_FORMAT_DEFAULT = "parquet";
  public static final String LOCK_TIMEOUT_S = "lock-timeout-s";
  public static final double LOCK_TIMEOUT_S_DEFAULT = 60;

  /** The built-in default of every key the defaults file may set for segment (null = none). */
  public static final Map<String, String> BUILT_IN;

  static {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(MODEL, null);
    m.put(BATCH_SIZE, String.valueOf(BATCH_SIZE_DEFAULT));
    m.put(MAX_BATCH_WAIT_MS, String.valueOf(MAX_BATCH_WAIT_MS_DEFAULT));
    m.put(PREFETCH, String.valueOf(PREFETCH_DEFAULT));
    m.put(PREPARE_THREADS, String.valueOf(AUTO_THREADS));
    m.put(POSTPROCESS_THREADS, String.valueOf(AUTO_THREADS));
    m.put(INFERENCE_THREADS, String.valueOf(AUTO_THREADS));
    m.put(TORCH_THREADS, String.valueOf(AUTO_THREADS));
    m.put(SCORE_THRESHOLD, null);
    m.put(MASK_THRESHOLD, null);
    m.put(PARTITIONS, String.valueOf(PARTITIONS_DEFAULT));
    m.put(MAX_IMAGE_PIXELS, String.valueOf(MAX_IMAGE_PIXELS_DEFAULT));
    m.put(MAX_IMAGE_BYTES, String.valueOf(MAX_IMAGE_BYTES_DEFAULT));
    m.put(MAX_FAILED_FRACTION, String.valueOf(MAX_FAILED_FRACTION_DEFAULT));
    m.put(DEVICE, DEVICE_DEFAULT);
    m.put(FLIP_TEST, FLIP_TEST_DEFAULT);
    m.put(PRECISION, PRECISION_DEFAULT);
    m.put(MODEL_CACHE_DIR, null);
    m.put(PROGRESS_INTERVAL, String.valueOf((long) PROGRESS_INTERVAL_DEFAULT));
    m.put(COMMIT_IMAGES, String.valueOf(COMMIT_IMAGES_DEFAULT));
    m.put(MODE, MODE_DEFAULT);
    m.put(TABLE_FORMAT, TABLE_FORMAT_DEFAULT);
    m.put(LOCK_TIMEOUT_S, String.valueOf((long) LOCK_TIMEOUT_S_DEFAULT));
    BUILT_IN = Collections.unmodifiableMap(m);
  }

  /**
   * Segment's default pipeline for a batch size and thread counts (0 = auto), with prefetch enough
   * for two batches (what {@code bench} runs the job with).
   */
  public static PipelineSettings defaultPipeline(int maxBatch, int inferenceThreads, int torchThreads) {
    return new PipelineSettings(maxBatch, MAX_BATCH_WAIT_MS_DEFAULT, Math.max(PREFETCH_DEFAULT, 2 * maxBatch),
        AUTO_THREADS, AUTO_THREADS, inferenceThreads, torchThreads);
  }

}
