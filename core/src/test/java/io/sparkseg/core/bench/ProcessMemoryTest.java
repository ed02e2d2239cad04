package io.sparkseg.core.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** The soak benchmark's memory readings are real numbers of this process, in MiB. */
class ProcessMemoryTest {
  @Test
  void rssHoldsALiveTouchedBlockAndStaysBelowTheMachinesMemory() {
    byte[] block = new byte[256 << 20];
    for (int i = 0; i < block.length; i += 4096) {
      block[i] = 1; // touch every page so it is resident
    }
    double rss = ProcessMemory.rssMb();
    double machineMb = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getTotalMemorySize() / 1048576.0;
    // a live, touched 256 MiB block is resident (a JVM whose heap was touched before may not grow,
    // so no before/after comparison); kB read as MiB would exceed the machine's memory
    assertTrue(rss >= 256, "RSS covers the live 256 MiB block: " + rss);
    assertTrue(rss < machineMb, "RSS in MiB is below the machine's " + machineMb + " MiB: " + rss);
    assertTrue(ProcessMemory.heapUsedMb() >= 256 && ProcessMemory.heapCommittedMb() >= ProcessMemory.heapUsedMb());
    assertTrue(block[4096] == 1);
  }
}
