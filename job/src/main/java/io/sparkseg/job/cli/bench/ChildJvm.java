package io.sparkseg.job.cli.bench;

import io.sparkseg.job.cli.SparksegCli;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A sparkseg command in a child JVM started as this one was (its class path and JVM flags, so the
 * same from {@code bin/sparkseg} and from a test), but with its own heap limit and a GC log
 * ({@link HeapPeak}); its output goes to a log file. {@link #kill()} is a SIGKILL: no shutdown
 * hook runs, as when a driver's machine dies.
 */
final class ChildJvm {
  private final Process process;
  private final Path log;
  private final Path gcLog;
  private final long startNanos = System.nanoTime();
  private long endNanos;

  private ChildJvm(Process process, Path log, Path gcLog) {
    this.process = process;
    this.log = log;
    this.gcLog = gcLog;
  }

  /**
   * Starts {@code sparkseg args...} with {@code -Xmx<heap>} (no {@code -Xmx} when {@code heap} is null: the
   * JVM's default, as {@code bin/sparkseg} runs), writing {@code NAME.log} and {@code NAME.gc.log} in {@code dir}.
   */
  static ChildJvm start(Path dir, String name, String heap, List<String> args) throws IOException {
    Path log = dir.resolve(name + ".log");
    Path gcLog = dir.resolve(name + ".gc.log");
    Files.deleteIfExists(gcLog);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(inheritedFlags(ManagementFactory.getRuntimeMXBean().getInputArguments()));
    String root = System.getProperty("sparkseg.repo.root");
    if (root != null && cmd.stream().noneMatch(a -> a.startsWith("-Dsparkseg.repo.root="))) {
      cmd.add("-Dsparkseg.repo.root=" + root);
    }
    if (heap != null) {
      cmd.add("-Xmx" + heap);
    }
    cmd.add(HeapPeak.logFlag(gcLog));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SparksegCli.class.getName()));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new ChildJvm(p, log, gcLog);
  }

  /** This JVM's flags minus those that set the heap, GC logging or an agent (the child sets its own or none). */
  static List<String> inheritedFlags(List<String> flags) {
    List<String> out = new ArrayList<>();
    for (String f : flags) {
      if (!(f.startsWith("-Xmx") || f.startsWith("-Xms") || f.startsWith("-XX:MaxHeapSize")
          || f.startsWith("-XX:InitialHeapSize") || f.startsWith("-Xlog") || f.startsWith("-Xloggc")
          || f.startsWith("-agentlib") || f.startsWith("-agentpath") || f.startsWith("-javaagent")
          || f.startsWith("-Xrunjdwp"))) {
        out.add(f);
      }
    }
    return out;
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  /** Waits for the exit code; kills the child and fails after {@code timeout}. */
  int waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      kill();
      throw new IllegalStateException("sparkseg still running after " + timeout + "; see " + log);
    }
    ended();
    return process.exitValue();
  }

  /** SIGKILL to the child and anything it started. */
  void kill() throws InterruptedException {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(60, TimeUnit.SECONDS);
    ended();
  }

  private void ended() {
    if (endNanos == 0) {
      endNanos = System.nanoTime();
    }
  }

  /** Seconds since the start, until the end once it ended. */
  double seconds() {
    return ((endNanos == 0 ? System.nanoTime() : endNanos) - startNanos) / 1e9;
  }

  HeapPeak heap() throws IOException {
    return HeapPeak.read(gcLog);
  }

  Path log() {
    return log;
  }

  /** The end of the log, for error messages. */
  String logTail() {
    try {
      String all = Files.readString(log, StandardCharsets.UTF_8);
      return all.substring(Math.max(0, all.length() - 4000));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
