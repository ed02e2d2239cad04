package io.sparkseg.job.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Peak RSS and CPU time of a real child process, and the /proc parsing behind them. */
class ChildUsageTest {
  @Test
  void parsesProcFiles() {
    assertEquals(20480, ChildUsage.vmHwmKb("Name:\tjava\nVmPeak:\t  99999 kB\nVmHWM:\t   20480 kB\nVmRSS:\t 1 kB\n"));
    // the command name may hold spaces and parentheses; utime and stime are fields 14 and 15
    String stat = "4242 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 1 0 99 0 0";
    assertEquals(175, ChildUsage.cpuTicks(stat));
  }

  @Test
  void measuresAChildThatTouchesMemoryAndSpins() throws Exception {
    // python allocates ~200 MB and spins for about a second of CPU
    Process p = new ProcessBuilder("/usr/bin/python3", "-c",
        "import time\nb = bytearray(200 * 1024 * 1024)\nt = time.process_time()\nwhile time.process_time() - t < 1: pass")
        .start();
    ChildUsage u = ChildUsage.watch(p.pid());
    assertEquals(0, p.waitFor());
    long mb = u.peakRssBytes() >> 20;
    assertTrue(mb >= 200 && mb < 400, "peak RSS " + mb + " MB");
    double cpu = u.cpuSeconds();
    assertTrue(cpu >= 0.9 && cpu < 5, "CPU " + cpu + " s");
  }
}
