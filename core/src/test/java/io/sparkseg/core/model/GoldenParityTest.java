package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Java (DJL + libtorch 2.7, scripted model with pure-aten ops, our resize/paste/RLE) against
 * eager torchvision (torch 1.13, native ops) on the same weights: {@code samples/golden}, made by
 * {@code models/sparkseg_models/golden.py}. Same labels, boxes within 0.5 px, mask IoU >= 0.98,
 * keypoints within 1 px.
 */
class GoldenParityTest {
  static MaskRcnnModel model;
  static Path root;

  @BeforeAll
  static void load() {
    root = TestBundles.repoRoot();
    model = MaskRcnnModel.load(ModelBundle.load(root.resolve("samples/model")), "cpu");
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @TestFactory
  Stream<DynamicTest> javaMatchesEagerTorchvision() throws Exception {
    Path dir = root.resolve("samples/golden");
    JsonNode index = TestBundles.JSON.readTree(dir.resolve("index.json").toFile());
    assertEquals(model.bundle().sha256(), index.get("model_sha256").asText(),
        "samples/golden was made for another model.pt: regenerate it (models/README.md)");
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(p -> !p.getFileName().toString().equals("index.json") && p.toString().endsWith(".json"))
          .sorted().forEach(files::add);
    }
    assertFalse(files.isEmpty(), "no golden files in " + dir);
    long comparable = 0;
    for (Path f : files) {
      comparable += GoldenComparison.comparable(TestBundles.JSON.readTree(f.toFile()));
    }
    assertTrue(comparable >= 5, "samples/golden holds only " + comparable + " detections to compare");
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> compare(f)));
  }

  private void compare(Path goldenFile) throws Exception {
    GoldenComparison.compare(model, root.resolve("samples/images"), goldenFile);
  }
}
