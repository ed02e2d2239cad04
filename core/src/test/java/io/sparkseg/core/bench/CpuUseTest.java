package io.sparkseg.core.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class CpuUseTest {
  private static volatile long sink;

  @Test
  void countsTheCpuOfThreadsWithThePrefixApartFromTheProcess() throws Exception {
    CpuUse use = CpuUse.start("cpu-use-test-busy");
    CountDownLatch spun = new CountDownLatch(1);
    CountDownLatch measured = new CountDownLatch(1);
    Thread busy = new Thread(() -> {
      // spin for 0.3 s of this thread's own CPU time, not wall time: on a loaded machine 0.3 s of
      // wall time can be a fraction of that on a core
      java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
      long end = threads.getCurrentThreadCpuTime() + 300_000_000L;
      long x = 0;
      while (threads.getCurrentThreadCpuTime() < end) {
        x += x * 31 + 7;
      }
      sink = x;
      spun.countDown();
      try {
        measured.await(); // counted threads must still be alive, as a pipeline's inference threads are
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "cpu-use-test-busy-1");
    busy.start();
    spun.await();
    Map<String, Object> r = use.sinceStart();
    measured.countDown();
    busy.join();
    double named = (Double) r.get("cpu-use-test-busy*_cpu_s");
    double process = (Double) r.get("process_cpu_s");
    double share = (Double) r.get("cpu-use-test-busy*_share_of_process_cpu");
    assertTrue(named >= 0.29, "the busy thread spun for 0.3 s of CPU: " + r);
    assertTrue(process >= named * 0.95, "the process includes the thread: " + r);
    assertTrue(share > 0 && share <= 1.05, r.toString());
    assertTrue((Double) r.get("wall_s") >= 0.3, r.toString());
  }
}
