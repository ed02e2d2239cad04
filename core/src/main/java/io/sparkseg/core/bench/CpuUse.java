package io.sparkseg.core.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where this process's CPU time went between two points: the whole process (every thread,
 * libtorch's native ones included) and the Java threads whose names start with a prefix (e.g. the
 * inference threads, which with one libtorch thread each run the whole forward pass themselves).
 * On a machine whose cores the model saturates, the job's share of the model-only rate is about
 * the model's share of the CPU, which this makes visible. Only threads alive at both points count
 * (a pipeline's inference threads live as long as their executor).
 */
public final class CpuUse {
  private final String prefix;
  private final long wall0;
  private final long process0;
  private final Map<Long, Long> threads0;

  private CpuUse(String prefix) {
    this.prefix = prefix;
    this.wall0 = System.nanoTime();
    this.process0 = processCpuNanos();
    this.threads0 = threadCpuNanos(prefix);
  }

  /** Starts counting now, for the process and for threads whose names start with {@code prefix}. */
  public static CpuUse start(String prefix) {
    return new CpuUse(prefix);
  }

  /**
   * Seconds of wall time, process CPU and CPU of the prefixed threads since the start, and the
   * prefixed threads' share of the process CPU.
   */
  public Map<String, Object> sinceStart() {
    double wall = (System.nanoTime() - wall0) / 1e9;
    double process = (processCpuNanos() - process0) / 1e9;
    long named = 0;
    for (Map.Entry<Long, Long> e : threadCpuNanos(prefix).entrySet()) {
      named += e.getValue() - threads0.getOrDefault(e.getKey(), 0L);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("wall_s", wall);
    out.put("process_cpu_s", process);
    out.put("cores_busy", wall > 0 ? process / wall : 0);
    out.put(prefix + "*_cpu_s", named / 1e9);
    out.put(prefix + "*_share_of_process_cpu", process > 0 ? named / 1e9 / process : 0);
    return out;
  }

  private static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return 0;
  }

  private static Map<Long, Long> threadCpuNanos(String prefix) {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Map<Long, Long> out = new LinkedHashMap<>();
    if (!mx.isThreadCpuTimeSupported()) {
      return out;
    }
    for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (t != null && t.getThreadName().startsWith(prefix)) {
        long cpu = mx.getThreadCpuTime(t.getThreadId());
        if (cpu >= 0) {
          out.put(t.getThreadId(), cpu);
        }
      }
    }
    return out;
  }
}
