package io.sparkseg.job.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/gpu/getGpusResources.sh, Spark's GPU discovery script for executors, run for real with
 * a stand-in {@code nvidia-smi} (there is no GPU here): its output is the resource JSON Spark
 * expects ({"name": "gpu", "addresses": [...]}), and it fails when there is no GPU.
 */
class GpuDiscoveryScriptTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Result(int code, String out) {}

  static Result run(Path tmp, Map<String, String> env, String... smiLines) throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin-" + System.nanoTime()));
    if (smiLines.length > 0) {
      Path smi = bin.resolve("nvidia-smi");
      StringBuilder s = new StringBuilder("#!/bin/sh\n");
      for (String l : smiLines) {
        s.append("echo '").append(l).append("'\n");
      }
      Files.writeString(smi, s.toString());
      Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    ProcessBuilder pb = new ProcessBuilder("bash", DeployFiles.deploy("gpu/getGpusResources.sh").toString());
    pb.environment().remove("CUDA_VISIBLE_DEVICES");
    // only the stand-in: a real nvidia-smi on the machine must not answer
    pb.environment().put("PATH", bin + ":/usr/bin:/bin");
    pb.environment().putAll(env);
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(20, TimeUnit.SECONDS);
    return new Result(p.exitValue(), out);
  }

  static List<String> addresses(String json) throws Exception {
    JsonNode n = JSON.readTree(json);
    assertEquals("gpu", n.get("name").asText());
    List<String> out = new ArrayList<>();
    n.get("addresses").forEach(a -> out.add(a.asText()));
    return out;
  }

  @Test
  void listsTheGpusNvidiaSmiSees(@TempDir Path tmp) throws Exception {
    Result r = run(tmp, Map.of(), "0", "1 ");
    assertEquals(0, r.code());
    assertEquals(List.of("0", "1"), addresses(r.out()));
  }

  @Test
  void fallsBackToCudaVisibleDevicesRenumbered(@TempDir Path tmp) throws Exception {
    Result r = run(tmp, Map.of("CUDA_VISIBLE_DEVICES", "3,5"));
    assertEquals(0, r.code());
    assertEquals(List.of("0", "1"), addresses(r.out()));
  }

  @Test
  void failsWithoutAGpu(@TempDir Path tmp) throws Exception {
    assertNotEquals(0, run(tmp, Map.of()).code());
  }
}
