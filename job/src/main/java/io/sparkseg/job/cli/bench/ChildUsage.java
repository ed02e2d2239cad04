package io.sparkseg.job.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A child process's peak resident set size and CPU time, polled from Linux's {@code /proc/PID}:
 * {@code VmHWM} ("high water mark") in {@code status}, which the kernel keeps as the peak, and
 * user + system time in {@code stat}. Polling until the process exits and keeping the last values
 * read loses only what grew in the last poll interval. CPU time is the steadier figure on a
 * shared machine, where wall time depends on the other load.
 */
final class ChildUsage {
  private static final long POLL_MS = 10;
  /** Linux's USER_HZ, the unit of the times in {@code /proc/PID/stat}. */
  private static final double TICKS_PER_SECOND = 100;
  private final Path status;
  private final Path stat;
  private final Thread poller;
  private volatile long peakKb = -1;
  private volatile long cpuTicks = -1;

  private ChildUsage(long pid) {
    this.status = Path.of("/proc", Long.toString(pid), "status");
    this.stat = Path.of("/proc", Long.toString(pid), "stat");
    this.poller = new Thread(this::poll, "child-usage-" + pid);
    poller.setDaemon(true);
  }

  /** Starts polling process {@code pid}. */
  static ChildUsage watch(long pid) {
    ChildUsage r = new ChildUsage(pid);
    r.poller.start();
    return r;
  }

  /** The peak RSS in bytes, once the process has exited; -1 where /proc has no {@code VmHWM} (not Linux). */
  long peakRssBytes() throws InterruptedException {
    poller.join();
    return peakKb < 0 ? -1 : peakKb * 1024;
  }

  /** User + system CPU seconds of the process, once it has exited; -1 where /proc has none. */
  double cpuSeconds() throws InterruptedException {
    poller.join();
    return cpuTicks < 0 ? -1 : cpuTicks / TICKS_PER_SECOND;
  }

  private void poll() {
    while (true) {
      try {
        cpuTicks = Math.max(cpuTicks, cpuTicks(Files.readString(stat))); // a zombie still has its times
        peakKb = Math.max(peakKb, vmHwmKb(Files.readString(status)));
      } catch (IOException | RuntimeException e) {
        return; // the process is gone (or this is not Linux)
      }
      try {
        Thread.sleep(POLL_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  static long vmHwmKb(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
      }
    }
    // a zombie's status has no memory lines: it has exited
    throw new IllegalStateException("no VmHWM");
  }

  /** utime + stime (fields 14 and 15 of {@code stat}; the command name before them may hold spaces). */
  static long cpuTicks(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    // f[0] is field 3 (state)
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }
}
