package io.sparkseg.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code main} in a JVM of its own exits with the command's code; in a Databricks driver (the
 * platform's JVM, which an exit would take down) it returns on success and fails the task by
 * throwing. Each case is a real child JVM.
 */
class SparksegCliMainTest {
  @TempDir
  Path tmp;

  private record Exit(int code, String out, String err) {}

  private Exit main(boolean sharedDriver, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), SparksegCli.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(tmp.resolve("out").toFile())
        .redirectError(tmp.resolve("err").toFile());
    pb.environment().remove(SparksegCli.SHARED_DRIVER_ENV);
    if (sharedDriver) {
      pb.environment().put(SparksegCli.SHARED_DRIVER_ENV, "17.3");
    }
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM ends");
    return new Exit(p.exitValue(), Files.readString(tmp.resolve("out"), StandardCharsets.UTF_8),
        Files.readString(tmp.resolve("err"), StandardCharsets.UTF_8));
  }

  @Test
  void ownJvmExitsWithTheCommandsCode() throws Exception {
    String missing = tmp.resolve("missing.json").toString();
    Exit bad = main(false, "evaluate", "--gt", missing, "--detections", missing);
    assertEquals(ExitCodes.USAGE, bad.code(), bad.err());
    assertTrue(bad.err().contains("sparkseg evaluate: --ground-truth " + missing + ": no such file"), bad.err());
    assertFalse(bad.err().contains("Exception"), "a missing input is named, with no stack trace: " + bad.err());
    Path gt = Files.writeString(tmp.resolve("gt.json"), "{\"images\": [], \"annotations\": [], \"categories\": []}");
    Exit noResults = main(false, "evaluate", "--gt", gt.toString(), "--detections", missing);
    assertEquals(ExitCodes.USAGE, noResults.code(), noResults.err());
    assertTrue(noResults.err().contains("--detections " + missing + ": no such file or folder"), noResults.err());
    Exit folder = main(false, "evaluate", "--gt", tmp.toString(), "--detections", missing);
    assertTrue(folder.err().contains("is a folder, not a COCO annotations JSON file"), folder.err());
    Exit ok = main(false, "--version");
    assertEquals(ExitCodes.OK, ok.code(), ok.err());
  }

  @Test
  void databricksDriverReturnsOnSuccessAndThrowsOnFailure() throws Exception {
    Exit ok = main(true, "--version");
    assertEquals(0, ok.code(), ok.err());
    assertTrue(ok.out().contains("sparkseg"), ok.out());
    String missing = tmp.resolve("missing.json").toString();
    Exit bad = main(true, "evaluate", "--gt", missing, "--detections", missing);
    assertTrue(bad.code() != 0, "a failed command fails the task");
    assertTrue(bad.err().contains("--ground-truth " + missing + ": no such file"), "the cause is still reported: "
        + bad.err());
    assertTrue(bad.err().contains("CommandFailedException: sparkseg failed with exit code 2 (bad options, input or model"),
        bad.err());
  }
}
