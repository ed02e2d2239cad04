package io.sparkseg.job.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparkseg.job.fs.HadoopFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The run summary, written beside the output, to {@code --summary-json} and to stdout. It holds
 * counts, timings and locations only: never configuration values, so no credentials can leak
 * through it (locations pass through {@link #redact}).
 */
@JsonPropertyOrder({"run_id", "status", "started_at", "finished_at", "input", "output", "model", "images_total",
    "images_by_status", "images_ok", "images_failed", "failed_fraction", "max_failed_fraction", "instances_total",
    "images_per_second", "partitions", "batch_size", "timings", "outputs", "spark"})
public record RunSummary(
    @JsonProperty("run_id") String runId,
    @JsonProperty("status") RunStatus status,
    @JsonProperty("started_at") String startedAt,
    @JsonProperty("finished_at") String finishedAt,
    @JsonProperty("input") String input,
    @JsonProperty("output") String output,
    @JsonProperty("model") Model model,
    @JsonProperty("images_total") long imagesTotal,
    @JsonProperty("images_by_status") Map<String, Long> imagesByStatus,
    @JsonProperty("images_ok") long imagesOk,
    @JsonProperty("images_failed") long imagesFailed,
    @JsonProperty("failed_fraction") double failedFraction,
    @JsonProperty("max_failed_fraction") double maxFailedFraction,
    @JsonProperty("instances_total") long instancesTotal,
    @JsonProperty("images_per_second") double imagesPerSecond,
    @JsonProperty("partitions") int partitions,
    @JsonProperty("batch_size") int batchSize,
    @JsonProperty("timings") Timings timings,
    @JsonProperty("outputs") Outputs outputs,
    @JsonProperty("spark") Spark spark) {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The bundle the run used. */
  @JsonPropertyOrder({"uri", "name", "version", "sha256", "flip_test"})
  public record Model(
      @JsonProperty("uri") String uri,
      @JsonProperty("name") String name,
      @JsonProperty("version") String version,
      @JsonProperty("sha256") String sha256,
      @JsonProperty("flip_test") boolean flipTest) {}

  /** Phase durations in seconds, and the executors' accumulated times (a retried task counts twice). */
  @JsonPropertyOrder({"wall_s", "model_validate_s", "input_resolve_s", "segment_s", "write_s", "export_register_s",
      "model_loads", "model_load_ms_total", "read_ms_total", "decode_ms_total", "inference_ms_total"})
  public record Timings(
      @JsonProperty("wall_s") double wallS,
      @JsonProperty("model_validate_s") double modelValidateS,
      @JsonProperty("input_resolve_s") double inputResolveS,
      @JsonProperty("segment_s") double segmentS,
      @JsonProperty("write_s") double writeS,
      @JsonProperty("export_register_s") double exportRegisterS,
      @JsonProperty("model_loads") long modelLoads,
      @JsonProperty("model_load_ms_total") long modelLoadMsTotal,
      @JsonProperty("read_ms_total") double readMsTotal,
      @JsonProperty("decode_ms_total") double decodeMsTotal,
      @JsonProperty("inference_ms_total") double inferenceMsTotal) {}

  /** Where the run's tables and files are; the optional ones are left out when not asked for. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({"instances", "images", "summary", "coco_results", "coco_results_count", "tables"})
  public record Outputs(
      @JsonProperty("instances") String instances,
      @JsonProperty("images") String images,
      @JsonProperty("summary") String summary,
      @JsonProperty("coco_results") String cocoResults,
      @JsonProperty("coco_results_count") Long cocoResultsCount,
      @JsonProperty("tables") List<String> tables) {}

  /** The Spark application that ran it. */
  @JsonPropertyOrder({"app_id", "master"})
  public record Spark(@JsonProperty("app_id") String appId, @JsonProperty("master") String master) {}

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

  /** A URI or path with any user-info (user:secret@) removed, for display. */
  public static String redact(String location) {
    if (location == null) {
      return null;
    }
    try {
      URI u = new Path(location).toUri();
      if (u.getUserInfo() == null) {
        return location;
      }
      return new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), u.getQuery(), u.getFragment()).toString();
    } catch (Exception e) {
      return location.replaceAll("//[^/@]*@", "//");
    }
  }
}
