package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.job.executor.ModelPlacement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RunSummaryTest {
  private static RunSummary summary(RunStatus status, String cocoResults, Long cocoCount, List<String> tables) {
    return new RunSummary("r1", status, "auto", "parquet", "20260101T000000Z-abcdef", 2, "2026-01-01T00:00:00Z",
        "2026-01-01T00:01:00Z", "files /in", "/out",
        new RunSummary.Model("file:/m", "m", "1.0", "abc", true, "fp32", 0.05f, 0.5f,
            List.of(new ModelPlacement("1", "host-a", "cpu", "fp32"))), 3, 1, 2, 0,
        new TreeMap<>(Map.of("ok", 2L, "missing", 1L)), 2, 1, 0.3333, 1.0, 5, 1.5, 2, 1000, 0, 1,
        new RunSummary.Timings(60.0, 0.1, 0.2, 0.3, 50.0, 9.0, 0.4, 0.7, 1, 800, 10.5, 20.5, 300.5),
        new RunSummary.Outputs("/out/instances/run_id=r1", "/out/images/run_id=r1", "/out/runs",
            "/out/_summary/r1.json", cocoResults, cocoCount, tables),
        new RunSummary.Spark("local-1", "local[2]"));
  }

  private static List<String> keys(JsonNode n) {
    List<String> k = new ArrayList<>();
    n.fieldNames().forEachRemaining(k::add);
    return k;
  }

  @Test
  void serializesTheSummaryKeysInOrder() throws Exception {
    JsonNode j = new ObjectMapper().readTree(summary(RunStatus.SUCCEEDED, "/out/d.json", 5L, List.of("db.instances"))
        .toJson());
    assertEquals(List.of("run_id", "status", "mode", "table_format", "attempt", "attempts", "started_at",
        "finished_at", "input", "output", "model", "images_total", "images_resumed", "images_computed",
        "images_skipped", "images_by_status", "images_ok", "images_failed", "failed_fraction", "max_failed_fraction",
        "instances_total", "images_per_second", "commits", "commit_images", "partitions", "batch_size", "timings",
        "outputs", "spark"), keys(j));
    assertEquals(List.of("uri", "name", "version", "sha256", "flip_test", "precision", "score_threshold",
        "mask_threshold", "executors"),
        keys(j.get("model")));
    assertEquals(List.of("executor_id", "host", "device", "precision"), keys(j.get("model").get("executors").get(0)));
    assertEquals("cpu", j.get("model").get("executors").get(0).get("device").asText());
    assertEquals(List.of("wall_s", "model_validate_s", "input_resolve_s", "plan_s", "segment_s", "write_s",
        "statistics_s", "export_register_s", "model_loads", "model_load_ms_total", "read_ms_total", "decode_ms_total", "inference_ms_total"),
        keys(j.get("timings")));
    assertEquals(List.of("instances", "images", "runs", "summary", "coco_results", "coco_results_count", "tables"),
        keys(j.get("outputs")));
    assertEquals(List.of("app_id", "master"), keys(j.get("spark")));
    assertEquals("succeeded", j.get("status").asText());
    assertEquals(List.of("missing", "ok"), keys(j.get("images_by_status")));
    assertEquals(0.3333, j.get("failed_fraction").asDouble());
  }

  @Test
  void leavesOutTheOptionalOutputsAndWritesTheStatusCode() throws Exception {
    JsonNode j = new ObjectMapper().readTree(summary(RunStatus.FAILED_FRACTION_EXCEEDED, null, null, null).toJson());
    assertEquals("failed_fraction_exceeded", j.get("status").asText());
    assertEquals(List.of("instances", "images", "runs", "summary"), keys(j.get("outputs")));
    assertFalse(j.get("outputs").has("tables"));
  }

  @Test
  void aStoredSummaryReadsBackEqual() {
    RunSummary s = summary(RunStatus.SUCCEEDED, "/out/d.json", 5L, List.of("db.instances"));
    assertEquals(s, RunSummary.parse(s.toJson()));
  }
}
