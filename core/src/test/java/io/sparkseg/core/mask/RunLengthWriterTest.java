package io.sparkseg.core.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RunLengthWriterTest {

  @Test
  void mergesRunsAndStartsWithZeros() {
    RunLengthWriter w = new RunLengthWriter(2, 3);
    w.append(true, 1);
    w.append(true, 2);
    w.append(false, 0);
    w.append(false, 1);
    w.append(true, 2);
    assertArrayEquals(new int[] {0, 3, 1, 2}, w.finish().counts());
  }

  @Test
  void emptyMaskIsOneRun() {
    RunLengthWriter w = new RunLengthWriter(4, 5);
    w.append(false, 20);
    assertArrayEquals(new int[] {20}, w.finish().counts());
  }

  @Test
  void refusesIncompleteCoverage() {
    RunLengthWriter w = new RunLengthWriter(4, 5);
    w.append(false, 19);
    assertThrows(IllegalStateException.class, w::finish);
  }
}
