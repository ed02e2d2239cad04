package io.sparkseg.core.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.image.DecodeResult;
import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.ModelBundle;
import io.sparkseg.core.testing.RepoRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchProfileTest {
  @TempDir Path dir;

  private static TorchProfile.OperatorTime find(List<TorchProfile.OperatorTime> ops, String name) {
    return ops.stream().filter(o -> o.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError(name));
  }

  @Test
  void selfTimeIsDurationMinusDirectChildren() throws Exception {
    // thread 1: forward [0, 100) calls conv [10, 50) (which calls mkldnn [12, 48)) and add [60, 70);
    // thread 2: conv [0, 30) alone; an instant event ("i") counts for nothing
    Path trace = dir.resolve("trace.json");
    Files.writeString(trace, """
        {"traceEvents": [
          {"name": "add", "ph": "X", "ts": 60, "dur": 10, "pid": "CPU", "tid": 1},
          {"name": "forward", "ph": "X", "ts": 0, "dur": 100, "pid": "CPU", "tid": 1},
          {"name": "mkldnn", "ph": "X", "ts": 12, "dur": 36, "pid": "CPU", "tid": 1},
          {"name": "conv", "ph": "X", "ts": 10, "dur": 40, "pid": "CPU", "tid": 1},
          {"name": "conv", "ph": "X", "ts": 0, "dur": 30, "pid": "CPU", "tid": 2},
          {"name": "marker", "ph": "i", "ts": 5, "pid": "CPU", "tid": 1}
        ]}""");
    List<TorchProfile.OperatorTime> all = TorchProfile.topBySelfTime(trace, 10);
    assertEquals(4, all.size());
    assertEquals(0.050, find(all, "forward").selfMillis(), 1e-9);
    assertEquals(0.036, find(all, "mkldnn").selfMillis(), 1e-9);
    assertEquals(0.034, find(all, "conv").selfMillis(), 1e-9); // 4 + 30 on the other thread
    assertEquals(2, find(all, "conv").calls());
    assertEquals(0.010, find(all, "add").selfMillis(), 1e-9);
    assertEquals(List.of("forward", "mkldnn", "conv"),
        TorchProfile.topBySelfTime(trace, 3).stream().map(TorchProfile.OperatorTime::name).toList());
  }

  @Test
  void anEventStartingWhenAnotherEndsIsNotItsChild() throws Exception {
    Path trace = dir.resolve("array.json");
    Files.writeString(trace, """
        [{"name": "a", "ph": "X", "ts": 0, "dur": 10, "tid": 1},
         {"name": "b", "ph": "X", "ts": 10, "dur": 5, "tid": 1}]""");
    List<TorchProfile.OperatorTime> all = TorchProfile.topBySelfTime(trace, 10);
    assertEquals(0.010, find(all, "a").selfMillis(), 1e-9);
    assertEquals(0.005, find(all, "b").selfMillis(), 1e-9);
  }

  @Test
  void profilesTheBundledModelsMeasuredPasses() throws Exception {
    Path root = RepoRoot.path();
    DecodeResult image = new ImageDecoder().decode(Files.readAllBytes(root.resolve("samples/images/val_000000.jpg")));
    assertTrue(image.isOk(), image.message());
    try (MaskRcnnModel model = MaskRcnnModel.load(ModelBundle.load(root.resolve("samples/model")), "cpu")) {
      TorchProfile profile = TorchProfile.to(dir.resolve("new/folder/model.json"));
      assertThrows(IllegalArgumentException.class, () -> ModelThroughput.forwardOnly(model, List.of(image.image()),
          1, 0, 1, model.bundle().defaultOptions(), 2, profile));
      ModelThroughput.Result r = ModelThroughput.forwardOnly(model, List.of(image.image()), 1, 0, 1,
          model.bundle().defaultOptions(), 1, profile);
      assertEquals(1, r.images());
      List<TorchProfile.OperatorTime> top = TorchProfile.topBySelfTime(profile.trace(), 15);
      assertEquals(15, top.size());
      assertTrue(top.stream().anyMatch(o -> o.name().contains("convolution")), top.toString());
      double profiled = top.stream().mapToDouble(TorchProfile.OperatorTime::selfMillis).sum();
      assertTrue(profiled > 0 && profiled <= r.seconds() * 1000 + 1, profiled + " ms of " + r.seconds() + " s");
    }
    assertThrows(IllegalStateException.class, () -> TorchProfile.to(dir.resolve("x.json")).stop());
    Files.writeString(dir.resolve("file"), "");
    assertThrows(java.io.UncheckedIOException.class, () -> TorchProfile.to(dir.resolve("file/x.json")).start());
  }
}
