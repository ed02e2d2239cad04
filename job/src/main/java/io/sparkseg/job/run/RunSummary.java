package io.sparkseg.job.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.sparkseg.job.executor.ModelPlacement;
import io.sparkseg.job.fs.HadoopFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * The run summary, written beside the output, to {@code --summary-json} and to stdout. It holds
 * counts, timings and locations only: never configuration values, so no credentials can leak
 * through it (locations pass through {@link io.sparkseg.job.secrets.Secrets#redact}).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"run_id", "status", "mode", "table_format", "attempt", "attempts", "started_at", "finished_at",
    "input", "output", "model", "images_total", "images_resumed", "images_computed", "images_skipped",
    "images_by_status", "images_ok", "images_failed", "failed_fraction", "max_failed_fraction", "instances_total",
    "images_per_second", "commits", "commit_images", "partitions", "batch_size", "timings", "outputs", "spark"})
public record RunSummary(
    String runId,
    RunStatus status,
    String mode,
    String tableFormat,
    String attempt,
    int attempts,
    String startedAt,
    String finishedAt,
    String input,
    String output,
    Model model,
    long imagesTotal,
    long imagesResumed,
    long imagesComputed,
    long imagesSkipped,
    Map<String, Long> imagesByStatus,
    long imagesOk,
    long imagesFailed,
    double failedFraction,
    double maxFailedFraction,
    long instancesTotal,
    double imagesPerSecond,
    int commits,
    int commitImages,
    int partitions,
    int batchSize,
    Timings timings,
    Outputs outputs,
    Spark spark) {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * The bundle the run used, the settings that change its detections (incremental runs compare
   * them: {@link IncrementalSkip}), and where each executor's model ran (the device libtorch
   * used and the precision, as the executor's tasks reported them: a CPU where a GPU was meant shows here).
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonPropertyOrder({"uri", "name", "version", "sha256", "flip_test", "precision", "score_threshold",
      "mask_threshold", "executors"})
  public record Model(
      String uri,
      String name,
      String version,
      String sha256,
      boolean flipTest,
      String precision,
      float scoreThreshold,
      float maskThreshold,
      List<ModelPlacement> executors) {}

  /** Phase durations in seconds, and the executors' accumulated times (a retried task counts twice). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonPropertyOrder({"wall_s", "model_validate_s", "input_resolve_s", "plan_s", "segment_s", "write_s",
      "statistics_s", "export_register_s", "model_loads", "model_load_ms_total", "read_ms_total", "decode_ms_total",
      "inference_ms_total"})
  public record Timings(
      double wallS,
      double modelValidateS,
      double inputResolveS,
      double planS,
      double segmentS,
      double writeS,
      double statisticsS,
      double exportRegisterS,
      long modelLoads,
      long modelLoadMsTotal,
      double readMsTotal,
      double decodeMsTotal,
      double inferenceMsTotal) {}

  /** Where the run's tables and files are; the optional ones are left out when not asked for. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonPropertyOrder({"instances", "images", "runs", "summary", "coco_results", "coco_results_count", "tables"})
  public record Outputs(
      String instances,
      String images,
      String runs,
      String summary,
      String cocoResults,
      Long cocoResultsCount,
      List<String> tables) {}

  /** The Spark application that ran it. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonPropertyOrder({"app_id", "master"})
  public record Spark(String appId, String master) {}

  /** A summary as {@link #toJson()} wrote it (the runs table keeps it). */
  public static RunSummary parse(String json) {
    try {
      return JSON.readValue(json, RunSummary.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a stored run summary is not readable: " + e.getOriginalMessage(), e);
    }
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes the summary to a file on any Hadoop file system (replacing it). */
  public void writeTo(String file, Configuration conf) throws IOException {
    try (OutputStream out = HadoopFiles.create(conf, file)) {
      out.write(toJson().getBytes(StandardCharsets.UTF_8));
      out.write('\n');
    }
  }
}
