package io.sparkseg.job.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A child process's peak resident set size, from Linux's {@code VmHWM} ("high water mark") in
 * {@code /proc/PID/status}: the kernel keeps the peak, so polling until the process exits and
 * keeping the last value read loses only what grew in the last poll interval.
 */
final class PeakRss {
  private static final long POLL_MS = 10;
  private final Path status;
  private final Thread poller;
  private volatile long peakKb = -1;

  private PeakRss(long pid) {
    this.status = Path.of("/proc", Long.toString(pid), "status");
    this.poller = new Thread(this::poll, "peak-rss-" + pid);
    poller.setDaemon(true);
  }

  /** Starts polling process {@code pid}. */
  static PeakRss watch(long pid) {
    PeakRss r = new PeakRss(pid);
    r.poller.start();
    return r;
  }

  /** The peak in bytes, once the process has exited; -1 where /proc has no {@code VmHWM} (not Linux). */
  long bytes() throws InterruptedException {
    poller.join();
    return peakKb < 0 ? -1 : peakKb * 1024;
  }

  private void poll() {
    while (true) {
      long kb;
      try {
        kb = vmHwmKb(Files.readString(status));
      } catch (IOException | RuntimeException e) {
        return; // the process is gone (or this is not Linux)
      }
      if (kb > peakKb) {
        peakKb = kb;
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
}
