package io.sparkseg.job.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The heap peak of a unified GC log: the largest before-pause or at-exit use, and the largest after-pause use. */
class HeapPeakTest {
  @Test
  void peakIsTheLargestUseBeforeAPauseOrAtExit() {
    HeapPeak p = HeapPeak.parse(List.of(
        "[0.040s][info][gc] Using G1",
        "[0.276s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 23M->6M(64M) 33.372ms",
        "[0.367s][info][gc] GC(1) Concurrent Mark Cycle",
        "[0.396s][info][gc] GC(1) Pause Remark 44M->19M(64M) 0.460ms",
        "[0.451s][info][gc] GC(2) Pause Full (G1 Compaction Pause) 1G->512M(1G) 6.157ms",
        "[0.565s][info][gc,heap,exit] Heap",
        "[0.565s][info][gc,heap,exit]  garbage-first heap   total 65536K, used 52296K [0x00000000fc000000)",
        "[0.565s][info][gc,heap,exit]  Metaspace       used 2097152K, committed 320K, reserved 1114112K"));
    assertEquals(1024, p.usedMb(), 1e-9);
    assertEquals(512, p.afterGcMb(), 1e-9);
    assertEquals(3, p.collections());
    assertEquals(52296 / 1024.0, HeapPeak.parse(List.of(
        "[0.565s][info][gc,heap,exit]  garbage-first heap   total 65536K, used 52296K [0x00000000fc000000)")).usedMb(),
        1e-9, "the use at exit, not metaspace's");
  }
}
