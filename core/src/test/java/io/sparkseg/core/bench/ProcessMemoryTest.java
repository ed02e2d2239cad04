package io.sparkseg.core.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The soak benchmark's memory readings are real numbers of this process. */
class ProcessMemoryTest {
  @Test
  void rssCoversTheHeapInUseAndGrowsWhenMemoryIsTouched() {
    double before = ProcessMemory.rssMb();
    assertTrue(before > 10, "a JVM is bigger than 10 MiB: " + before);
    byte[] block = new byte[256 << 20];
    for (int i = 0; i < block.length; i += 4096) {
      block[i] = 1; // touch every page so it becomes resident
    }
    double after = ProcessMemory.rssMb();
    assertTrue(after > before + 128, "touching 256 MiB shows in RSS: " + before + " -> " + after);
    assertTrue(ProcessMemory.heapUsedMb() > 0 && ProcessMemory.heapCommittedMb() >= ProcessMemory.heapUsedMb());
    assertTrue(block[4096] == 1);
  }
}
