package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run lock between real processes: refused while held, taken over when its holder is gone or silent. */
class RunLockTest {
  private static final Duration MINUTE = Duration.ofSeconds(60);
  private static final Duration SLOW_BEAT = Duration.ofSeconds(30);
  private final Configuration conf = new Configuration();

  @TempDir
  java.nio.file.Path tmp;

  private Path lockFile() {
    return RunLock.fileFor(tmp.resolve("out").toUri().toString(), "r1");
  }

  @Test
  void aLiveHolderInAnotherJvmRefusesTheSecondAttemptAndItsDeathHandsTheRunOver() throws Exception {
    Path file = lockFile();
    String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process holder = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
        RunLockHolderMain.class.getName(), file.toString(), "r1", "attempt-A")
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      StringBuilder seen = new StringBuilder();
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("HELD ")) {
        seen.append(line).append('\n'); // JVM and logging noise
      }
      assertTrue(line != null, "the holder JVM exited before taking the lock:\n" + seen);
      assertEquals(holder.pid(), Long.parseLong(line.substring(5).trim()));

      RunLockedException e = assertThrows(RunLockedException.class,
          () -> RunLock.acquire(conf, file, RunLock.Holder.current("r1", "attempt-B", "app-B"), MINUTE, SLOW_BEAT));
      String m = e.getMessage();
      for (String part : List.of("run r1 ", "attempt attempt-A", "pid " + holder.pid(), "application app-attempt-A",
          "host " + RunLock.hostName(), "last seen 20", "wait for it or kill it")) {
        assertTrue(m.contains(part), part + " in: " + m);
      }

      holder.destroyForcibly(); // SIGKILL: no shutdown hook, the lock file stays
      assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
      assertTrue(Files.exists(java.nio.file.Path.of(file.toUri())), "a killed holder leaves its lock");
      // same host, dead pid: stale at once, not after the minute's timeout
      try (RunLock lock = RunLock.acquire(conf, file, RunLock.Holder.current("r1", "attempt-B", "app-B"), MINUTE, SLOW_BEAT)) {
        assertEquals("attempt-B", RunLock.holder(conf, file).orElseThrow().attempt());
        lock.check();
      }
      assertFalse(Files.exists(java.nio.file.Path.of(file.toUri())), "released on close");
    } finally {
      holder.destroyForcibly();
    }
  }

  @Test
  void aFreshLockIsRefusedAndADeadPidOnThisHostIsTakenOver() throws Exception {
    Path file = lockFile();
    try (RunLock first = RunLock.acquire(conf, file, RunLock.Holder.current("r1", "a1", "app-1"), MINUTE, SLOW_BEAT)) {
      RunLockedException e = assertThrows(RunLockedException.class,
          () -> RunLock.acquire(conf, file, RunLock.Holder.current("r1", "a2", "app-2"), MINUTE, SLOW_BEAT));
      assertTrue(e.getMessage().contains("attempt a1"), e.getMessage());
      first.check();
    }
    // a process that has exited: its pid is not alive any more
    Process gone = new ProcessBuilder("sleep", "0").start();
    assertTrue(gone.waitFor(30, TimeUnit.SECONDS));
    RunLock.Holder dead = new RunLock.Holder("r1", "dead", RunLock.hostName(), gone.pid(), null, "app-dead",
        Instant.now(), Instant.now());
    write(file, dead);
    try (RunLock lock = RunLock.acquire(conf, file, RunLock.Holder.current("r1", "a3", "app-3"), MINUTE, SLOW_BEAT)) {
      assertEquals("a3", lock.holder().attempt());
    }
  }

  @Test
  void anotherHostsLockCountsUntilItsHeartbeatIsOlderThanTheTimeout() throws Exception {
    Path file = lockFile();
    Instant now = Instant.now();
    write(file, new RunLock.Holder("r1", "remote", "some-other-host", 1, null, "app-r", now, now.minusSeconds(20)));
    RunLockedException e = assertThrows(RunLockedException.class,
        () -> RunLock.acquire(conf, file, RunLock.Holder.current("r1", "a1", "app-1"), MINUTE, SLOW_BEAT));
    assertTrue(e.getMessage().contains("host some-other-host, pid 1, application app-r"), e.getMessage());
    write(file, new RunLock.Holder("r1", "remote", "some-other-host", 1, null, "app-r", now, now.minusSeconds(61)));
    try (RunLock lock = RunLock.acquire(conf, file, RunLock.Holder.current("r1", "a1", "app-1"), MINUTE, SLOW_BEAT)) {
      assertEquals("a1", RunLock.holder(conf, file).orElseThrow().attempt());
    }
  }

  @Test
  void theHeartbeatKeepsTheLockFreshAndNoticesATakeover() throws Exception {
    Path file = lockFile();
    Duration beat = Duration.ofMillis(100);
    try (RunLock lock = RunLock.acquire(conf, file, RunLock.Holder.current("r1", "a1", "app-1"), MINUTE, beat)) {
      Instant first = RunLock.holder(conf, file).orElseThrow().heartbeatAt();
      waitUntil(() -> RunLock.holder(conf, file).orElseThrow().heartbeatAt().isAfter(first));
      // a takeover by an attempt that judged this one stale (a 0 s timeout)
      RunLock other = RunLock.acquire(conf, file, RunLock.Holder.current("r1", "a2", "app-2"), Duration.ZERO, SLOW_BEAT);
      waitUntil(() -> {
        try {
          lock.check();
          return false;
        } catch (IllegalStateException lost) {
          assertTrue(lost.getMessage().contains("attempt a2"), lost.getMessage());
          return true;
        }
      });
      lock.close(); // must not delete a2's lock
      assertEquals("a2", RunLock.holder(conf, file).orElseThrow().attempt());
      other.close();
    }
    assertTrue(RunLock.holder(conf, file).isEmpty());
  }

  private static void write(Path file, RunLock.Holder h) throws Exception {
    java.nio.file.Path p = java.nio.file.Path.of(file.toUri());
    Files.createDirectories(p.getParent());
    Files.write(p, h.toJson());
  }

  interface Check {
    boolean ok() throws Exception;
  }

  private static void waitUntil(Check c) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!c.ok()) {
      assertTrue(System.nanoTime() < end, "timed out");
      Thread.sleep(20);
    }
  }
}
