package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device and precision settings through the segment command, real engine (this machine's libtorch is the CPU
 * build): the summary says where each executor's model ran; a GPU asked of a CPU-only engine fails the run naming
 * the cause instead of running on the CPU; a precision the bundle has no model file for, or an unknown one, fails
 * before any task.
 */
class ModelPlacementRunTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static Path images;

  @BeforeAll
  static void images() throws Exception {
    TestSpark.requireModel();
    images = tmp.resolve("images");
    TestSpark.copySamples(images, 1);
  }

  private static TestSpark.CliResult segment(String runId, String... extra) {
    String[] base = {"segment", "--input", images.toString(), "--output", tmp.resolve("out-" + runId).toString(),
        "--model", TestSpark.modelDir().toString(), "--run-id", runId,
        "--summary-json", tmp.resolve(runId + ".json").toString()};
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return TestSpark.cli(args);
  }

  @Test
  void summaryListsTheDeviceAndPrecisionEachExecutorRanOn() throws Exception {
    TestSpark.CliResult r = segment("cpu", "--device", "cpu");
    assertEquals(ExitCodes.OK, r.exitCode(), r.err());
    JsonNode model = JSON.readTree(tmp.resolve("cpu.json").toFile()).get("model");
    assertEquals("fp32", model.get("precision").asText());
    assertEquals(1, model.get("executors").size(), model.toString());
    JsonNode e = model.get("executors").get(0);
    assertEquals("cpu", e.get("device").asText());
    assertEquals("fp32", e.get("precision").asText());
    assertFalse(e.get("executor_id").asText().isEmpty());
  }

  @Test
  void aGpuAskedOfACpuOnlyEngineFailsTheRunSayingSo() {
    TestSpark.CliResult r = segment("gpu", "--device", "gpu");
    assertEquals(ExitCodes.FAILED, r.exitCode(), r.err());
    assertTrue(r.err().contains("device gpu:0 was asked, but the PyTorch engine")
        && r.err().contains("pytorch-native-cu128"), r.err());
    assertFalse(Files.exists(tmp.resolve("gpu.json")), "no summary of a run that did not run where asked");
  }

  @Test
  void aPrecisionTheBundleLacksFailsBeforeAnyTask() {
    TestSpark.CliResult r = segment("bf16", "--precision", "bf16");
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err()); // as every bundle the driver refuses
    assertTrue(r.err().contains("has no bf16 model") && r.err().contains("python3 -m sparkseg_models.precision"),
        r.err());
    assertFalse(Files.exists(tmp.resolve("out-bf16")), "nothing written: it failed before the run started");
  }

  @Test
  void anUnknownPrecisionIsAUsageError() {
    TestSpark.CliResult r = segment("p", "--precision", "int8");
    assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
    assertTrue(r.err().contains("--precision must be fp32, fp16 or bf16, got 'int8'"), r.err());
  }
}
