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

/** {@code bench model} on the bundled model, with libtorch's profiler; {@code bench eval} on a small case. */
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
