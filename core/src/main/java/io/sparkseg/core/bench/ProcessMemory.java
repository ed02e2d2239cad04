package io.sparkseg.core.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's memory for benchmarks: resident set size (Java heap + libtorch's native memory
 * + everything else, what a container limit counts) and the Java heap alone, in MiB.
 */
public final class ProcessMemory {
  private ProcessMemory() {}

  /** Resident set size from /proc/self/status (Linux), MiB. */
  public static double rssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read /proc/self/status (Linux only)", e);
    }
    throw new IllegalStateException("no VmRSS line in /proc/self/status");
  }

  /** Java heap in use, MiB. */
  public static double heapUsedMb() {
    return heap().getUsed() / 1048576.0;
  }

  /** Java heap the JVM has reserved from the OS, MiB. */
  public static double heapCommittedMb() {
    return heap().getCommitted() / 1048576.0;
  }

  private static MemoryUsage heap() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
  }
}
