package io.sparkseg.job.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PipelineSettingsTest {
  @Test
  void autoOnACpuRunsOnePassPerCoreWithOneLibtorchThreadEach() {
    PipelineSettings s = auto(2, 0, 0).resolved(4, false, false);
    assertEquals(4, s.inferenceThreads());
    assertEquals(1, s.torchThreads());
    assertEquals(4, s.prepareThreads());
    assertEquals(2, s.postprocessThreads());
  }

  @Test
  void explicitInferenceThreadsShareTheCoresBetweenThem() {
    PipelineSettings s = auto(2, 2, 0).resolved(8, false, false);
    assertEquals(2, s.inferenceThreads());
    assertEquals(4, s.torchThreads());
    PipelineSettings one = auto(2, 1, 0).resolved(2, false, false);
    assertEquals(2, one.torchThreads(), "the old single pass over both cores");
    assertEquals(1, auto(2, 3, 0).resolved(2, false, false).torchThreads(),
        "never fewer than one libtorch thread");
  }

  @Test
  void aGpuRunsOnePassAtATimeAndLeavesLibtorchItsOwnThreads() {
    PipelineSettings s = auto(8, 0, 0).resolved(4, true, false);
    assertEquals(1, s.inferenceThreads());
    assertEquals(0, s.torchThreads());
  }

  @Test
  void explicitValuesAndTheUsersJvmPropertyWin() {
    assertEquals(0, auto(2, 0, 0).resolved(4, false, true).torchThreads(),
        "-Dai.djl.pytorch.num_threads set: leave libtorch alone");
    PipelineSettings s = auto(2, 3, 2).resolved(4, true, true);
    assertEquals(3, s.inferenceThreads());
    assertEquals(2, s.torchThreads());
  }

  /** Batch size and inference/libtorch threads as given, every other count auto. */
  private static PipelineSettings auto(int maxBatch, int inferenceThreads, int torchThreads) {
    return new PipelineSettings(maxBatch, 50, 8, 0, 0, inferenceThreads, torchThreads);
  }
}
