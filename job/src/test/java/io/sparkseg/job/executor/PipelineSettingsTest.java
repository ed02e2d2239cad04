package io.sparkseg.job.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PipelineSettingsTest {
  @Test
  void autoOnACpuRunsOnePassPerCoreWithOneLibtorchThreadEach() {
    PipelineSettings s = PipelineSettings.forBatch(2).resolved(4, false, false);
    assertEquals(4, s.inferenceThreads());
    assertEquals(1, s.torchThreads());
    assertEquals(4, s.prepareThreads());
    assertEquals(2, s.postprocessThreads());
  }

  @Test
  void explicitInferenceThreadsShareTheCoresBetweenThem() {
    PipelineSettings s = PipelineSettings.forBatch(2, 2, 0).resolved(8, false, false);
    assertEquals(2, s.inferenceThreads());
    assertEquals(4, s.torchThreads());
    PipelineSettings one = PipelineSettings.forBatch(2, 1, 0).resolved(2, false, false);
    assertEquals(2, one.torchThreads(), "the old single pass over both cores");
    assertEquals(1, PipelineSettings.forBatch(2, 3, 0).resolved(2, false, false).torchThreads(),
        "never fewer than one libtorch thread");
  }

  @Test
  void aGpuRunsOnePassAtATimeAndLeavesLibtorchItsOwnThreads() {
    PipelineSettings s = PipelineSettings.forBatch(8).resolved(4, true, false);
    assertEquals(1, s.inferenceThreads());
    assertEquals(0, s.torchThreads());
  }

  @Test
  void explicitValuesAndTheUsersJvmPropertyWin() {
    assertEquals(0, PipelineSettings.forBatch(2).resolved(4, false, true).torchThreads(),
        "-Dai.djl.pytorch.num_threads set: leave libtorch alone");
    PipelineSettings s = PipelineSettings.forBatch(2, 3, 2).resolved(4, true, true);
    assertEquals(3, s.inferenceThreads());
    assertEquals(2, s.torchThreads());
  }

  @Test
  void negativeCountsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new PipelineSettings(2, 50, 8, 0, 0, -1, 0));
    assertThrows(IllegalArgumentException.class, () -> new PipelineSettings(2, 50, 8, 0, 0, 0, -1));
  }
}
