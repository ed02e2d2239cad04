package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RunDecisionTest {
  private static final RunDecision.Invocation NOW = new RunDecision.Invocation("m", "1.0", "aaa", "folder /in");

  private static RunDecision.Stored stored(String status, String sha, String input) {
    return new RunDecision.Stored(status, "m", sha.equals("aaa") ? "1.0" : "0.9", sha, input);
  }

  @Test
  void startsResumesOrReportsByTheStoredStatus() {
    assertEquals(RunDecision.START, RunDecision.decide("r", RunMode.AUTO, null, NOW));
    assertEquals(RunDecision.RESUME, RunDecision.decide("r", RunMode.AUTO, stored("running", "aaa", "folder /in"), NOW));
    assertEquals(RunDecision.RESUME, RunDecision.decide("r", RunMode.INCREMENTAL, stored("failed", "aaa", "folder /in"), NOW));
    assertEquals(RunDecision.FINISHED, RunDecision.decide("r", RunMode.AUTO, stored("succeeded", "aaa", "folder /in"), NOW));
    assertEquals(RunDecision.FINISHED,
        RunDecision.decide("r", RunMode.AUTO, stored("failed_fraction_exceeded", "aaa", "folder /in"), NOW));
  }

  @Test
  void replaceAlwaysRecomputesEvenAnotherModelsRun() {
    assertEquals(RunDecision.REPLACE, RunDecision.decide("r", RunMode.REPLACE, null, NOW));
    assertEquals(RunDecision.REPLACE, RunDecision.decide("r", RunMode.REPLACE, stored("succeeded", "bbb", "x"), NOW));
  }

  @Test
  void anotherModelOrInputIsRefusedNamingBoth() {
    String m = assertThrows(RunConflictException.class,
        () -> RunDecision.decide("r7", RunMode.AUTO, stored("succeeded", "bbb", "folder /in"), NOW)).getMessage();
    assertTrue(m.contains("run r7 was written with model m 0.9 (sha256 bbb)"), m);
    assertTrue(m.contains("this invocation has model m 1.0 (sha256 aaa)"), m);
    assertTrue(m.contains("--mode replace"), m);
    assertFalse(m.contains("input"), m);
    m = assertThrows(RunConflictException.class,
        () -> RunDecision.decide("r7", RunMode.INCREMENTAL, stored("running", "aaa", "folder /other"), NOW)).getMessage();
    assertTrue(m.contains("from input folder /other; this invocation has input folder /in"), m);
    m = assertThrows(RunConflictException.class,
        () -> RunDecision.decide("r7", RunMode.AUTO, stored("running", "bbb", "folder /other"), NOW)).getMessage();
    assertTrue(m.contains("(sha256 bbb) from input folder /other; this invocation has model m 1.0 (sha256 aaa) and "
        + "input folder /in"), m);
  }
}
