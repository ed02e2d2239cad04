package io.sparkseg.job.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench model} on the bundled model, with libtorch's profiler; {@code bench eval} on a small case;
 * {@code bench scale} end to end on a tiny manifest (three child JVMs: uninterrupted, killed, resumed).
 */
class BenchCommandTest {
  @TempDir
  Path tmp;

  @Test
  void modelBenchWritesTheTraceAndItsTopOperators() throws Exception {
    Path root = TestSpark.repoRoot();
    Path trace = tmp.resolve("trace.json");
    TestSpark.CliResult r = TestSpark.cli("bench", "model", "--model", root.resolve("samples/model").toString(),
        "--images", root.resolve("samples/images").toString(), "--num", "1", "--warmup", "0",
        "--torch-profile", trace.toString());
    assertEquals(0, r.exitCode(), r.err());
    JsonNode out = new ObjectMapper().readTree(r.out());
    assertEquals(1, out.path("images").asInt());
    assertTrue(out.path("what").asText().contains("1 thread"), "auto threads become 1 when profiling: " + out);
    assertEquals(trace.toString(), out.path("torch_profile").path("trace").asText());
    assertTrue(Files.size(trace) > 0);
    JsonNode ops = out.path("torch_profile").path("top_operators");
    assertEquals(15, ops.size());
    double previous = Double.MAX_VALUE;
    for (JsonNode op : ops) {
      assertFalse(op.path("operator").asText().isEmpty());
      assertTrue(op.path("calls").asLong() > 0);
      assertTrue(op.path("self_ms_per_image").asDouble() <= previous, "sorted by self time: " + ops);
      previous = op.path("self_ms_per_image").asDouble();
    }
  }

  @Test
  void profilingMoreThanOneInferenceThreadIsAUsageError() {
    TestSpark.CliResult r = TestSpark.cli("bench", "model", "--inference-threads", "2", "--torch-profile",
        tmp.resolve("t.json").toString());
    assertEquals(ExitCodes.USAGE, r.exitCode());
    assertTrue(r.err().contains("--inference-threads 1"), r.err());
    assertFalse(Files.exists(tmp.resolve("t.json")));
  }

  @Test
  void scaleBenchRunsKillsAndResumesATinyManifestAndReportsItsFigures() throws Exception {
    Path root = TestSpark.repoRoot();
    // four commits: the kill at half of them lands after the first and before the last, as at any size
    TestSpark.CliResult r = TestSpark.cli("bench", "scale", "--rows", "80", "--real-images", "4",
        "--commit-images", "20", "--driver-heap", "1g", "--flip-test", "off",
        "--model", root.resolve("samples/model").toString(), "--images", root.resolve("samples/images").toString(),
        "--work-dir", tmp.resolve("scale").toString());
    assertEquals(0, r.exitCode(), r.err() + r.out());
    JsonNode out = new ObjectMapper().readTree(r.out());
    assertEquals(80, out.path("rows").asLong());
    assertEquals(4, out.path("commits").asLong());
    JsonNode ref = out.path("reference");
    assertTrue(ref.path("first_durable_commit_s").asDouble() > 0, ref.toString());
    assertTrue(ref.path("first_durable_commit_s").asDouble() < ref.path("seconds").asDouble(), ref.toString());
    double peak = ref.path("heap").path("used_peak_mb").asDouble();
    assertTrue(peak > 0 && peak <= 1024, "a peak within -Xmx1g, from the run's GC log: " + ref);
    assertTrue(ref.path("heap").path("after_gc_peak_mb").asDouble() <= peak, ref.toString());
    assertEquals(76, ref.path("images_by_status").path("missing").asLong(), "a missing row per missing file");
    assertEquals(4, ref.path("images_by_status").path("ok").asLong());
    long durable = out.path("kill").path("durable_commits").asLong();
    assertTrue(durable >= 2 && durable < 4, "killed at half the commits, before the end: " + out.path("kill"));
    JsonNode live = out.path("kill").path("live_heap");
    assertEquals(2, live.size(), "the killed run's live heap at its first commit and at the kill: " + out.path("kill"));
    assertTrue(live.get(0).path("mb").asDouble() > 0 && live.get(1).path("mb").asDouble() < 1024, live.toString());
    assertTrue(out.path("kill").has("live_heap_growth_kb_per_commit"), out.path("kill").toString());
    JsonNode resume = out.path("resume");
    assertEquals(durable * 20, resume.path("images_resumed").asLong(), resume.toString());
    assertEquals(80 - durable * 20, resume.path("images_computed").asLong(), resume.toString());
    assertEquals(0, resume.path("durable_commits_recomputed").asLong(), resume.toString());
    assertTrue(resume.has("time_lost_s"), resume.toString());
    out.path("checks").fields().forEachRemaining(c -> assertTrue(c.getValue().asBoolean(), c.getKey()));
    assertEquals(6, out.path("checks").size());
  }

  @Test
  void evalBenchTimesCoreEvaluationOnASmallCase() {
    TestSpark.CliResult r = TestSpark.cli("bench", "eval", "--images", "20", "--gts", "100", "--dets", "500",
        "--which", "core");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("generated 20 images, 100 GT, 500 detections"), r.out());
    assertTrue(r.out().contains("core 1 thread  segm evaluate"), r.out());
    assertTrue(r.out().contains("core 1 thread  bbox evaluate"), r.out());
    assertFalse(r.out().contains("spark "), "--which core runs no Spark evaluation: " + r.out());
  }

  @Test
  void evalBenchRejectsAnUnknownWhich() {
    TestSpark.CliResult r = TestSpark.cli("bench", "eval", "--which", "both");
    assertEquals(ExitCodes.USAGE, r.exitCode());
    assertTrue(r.err().contains("--which"), r.err());
  }
}
