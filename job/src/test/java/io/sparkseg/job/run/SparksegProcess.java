package io.sparkseg.job.run;

import io.sparkseg.job.TestSpark;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** A real {@code bin/sparkseg} child process (built jars, local Spark), its log in a file. */
final class SparksegProcess {
  private final Process process;
  private final Path log;
  private final long startNanos = System.nanoTime();
  private long endNanos;

  private SparksegProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  static SparksegProcess start(Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("bash", "bin/sparkseg"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(TestSpark.repoRoot().toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARKSEG_JAVA_OPTS", "-Xmx1500m");
    return new SparksegProcess(pb.start(), log);
  }

  /** Waits for the exit; kills the process tree and fails after {@code timeout}. */
  int waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      kill();
      throw new AssertionError("sparkseg still running after " + timeout + "; log tail:\n" + logTail());
    }
    endNanos = System.nanoTime();
    return process.exitValue();
  }

  boolean exited(Duration within) throws InterruptedException {
    boolean done = process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS);
    if (done && endNanos == 0) {
      endNanos = System.nanoTime();
    }
    return done;
  }

  boolean alive() {
    return process.isAlive();
  }

  int exitValue() {
    return process.exitValue();
  }

  /**
   * SIGKILLs the process as soon as {@code moment} holds (looked at every 50 ms); fails if the
   * process ends first or {@code timeout} passes. {@code what} names the moment in the failure.
   */
  void killWhen(BooleanSupplier moment, Duration timeout, String what) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (!moment.getAsBoolean()) {
      if (!process.isAlive()) {
        throw new AssertionError("sparkseg ended before " + what + "; log tail:\n" + logTail());
      }
      if (System.nanoTime() > end) {
        kill();
        throw new AssertionError("no " + what + " within " + timeout + "; log tail:\n" + logTail());
      }
      Thread.sleep(50);
    }
    kill();
  }

  /** Whether the log holds {@code text} yet. */
  boolean logged(String text) {
    return log().contains(text);
  }

  /** SIGKILL to the process and everything it started: no shutdown hook runs. */
  void kill() throws InterruptedException {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(60, TimeUnit.SECONDS);
    endNanos = System.nanoTime();
  }

  double seconds() {
    return ((endNanos == 0 ? System.nanoTime() : endNanos) - startNanos) / 1e9;
  }

  String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  String logTail() {
    String all = log();
    return all.substring(Math.max(0, all.length() - 6000));
  }
}
