package io.sparkseg.job.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The live heap of a JVM from its class histogram: this test JVM's own, through jcmd. */
class LiveHeapTest {
  @Test
  void totalOfAHistogram() {
    assertEquals(2.0, LiveHeap.parse("""
        12345:
         num     #instances         #bytes  class name (module)
        -------------------------------------------------------
           1:         10        1048576  [B (java.base@17.0.15)
           2:         20        1048576  java.lang.String (java.base@17.0.15)
        Total             30        2097152
        """), 1e-9);
    assertNull(LiveHeap.parse("12345:\nno such process\n"));
  }

  @Test
  void thisJvmHoldsSomething() throws Exception {
    Double mb = LiveHeap.mb(ProcessHandle.current().pid());
    assertNotNull(mb, "jcmd of this Java answers");
    assertTrue(mb > 1 && mb < Runtime.getRuntime().maxMemory() / 1048576.0, "live MiB: " + mb);
  }
}
