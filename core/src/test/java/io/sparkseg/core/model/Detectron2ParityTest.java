package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A converted Detectron2 model in Java (DJL + libtorch 2.7, the bundle's declared detectron2 resize and
 * post-processing) against Detectron2's own eager inference ({@code DefaultPredictor}, torch 1.13, native ops) on
 * the same weights: {@code samples/golden-detectron2}, made by {@code models/sparkseg_models/golden_detectron2.py}.
 * No weights are committed: the recipe ({@code detectron2_weights.py}) writes them again as a model-zoo .pkl and
 * {@code export detectron2} converts them, with /usr/bin/python3 (a missing interpreter fails the test). Same
 * labels, boxes within 0.5 px, mask IoU >= 0.98, keypoints within 1 px.
 */
class Detectron2ParityTest {
  private static final String PYTHON = "/usr/bin/python3";

  @TempDir
  static Path work;

  static Path root;
  static Path golden;
  static MaskRcnnModel model;

  @BeforeAll
  static void convert() throws Exception {
    root = TestBundles.repoRoot();
    golden = root.resolve("samples/golden-detectron2");
    Path pkl = work.resolve("model_final.pkl");
    Path bundle = work.resolve("bundle");
    String config = golden.resolve("config.json").toString();
    long start = System.nanoTime();
    python("sparkseg_models.detectron2_weights", "--config", config, "--pkl", pkl.toString());
    long converting = System.nanoTime();
    python("sparkseg_models.export", "detectron2", "--config", config, "--weights", pkl.toString(),
        "--categories", "categories/coco_detectron2.json", "--out", bundle.toString());
    long done = System.nanoTime();
    System.out.printf("detectron2 recipe weights %.1f s, conversion %.1f s%n", (converting - start) / 1e9,
        (done - converting) / 1e9);
    model = MaskRcnnModel.load(ModelBundle.load(bundle), "cpu");
  }

  @AfterAll
  static void close() {
    if (model != null) {
      model.close();
    }
  }

  /** Runs {@code python3 -m module args} in models/; its output goes to a log that a failure shows. */
  private static void python(String module, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(PYTHON, "-m", module));
    command.addAll(List.of(args));
    Path log = work.resolve(module + ".log");
    Process p = new ProcessBuilder(command).directory(root.resolve("models").toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(15, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      fail(String.join(" ", command) + " did not finish in 15 minutes");
    }
    if (p.exitValue() != 0) {
      String out = Files.readString(log);
      fail(String.join(" ", command) + " failed (exit " + p.exitValue() + "):\n"
          + out.substring(Math.max(0, out.length() - 4000)));
    }
  }

  @Test
  void bundleDeclaresDetectron2Semantics() {
    assertEquals(ResizeRule.Kind.DETECTRON2, model.bundle().resize().kind());
    assertEquals(Postprocess.DETECTRON2, model.bundle().postprocess());
    assertEquals(320, model.bundle().resize().minSize());
    assertEquals(512, model.bundle().resize().maxSize());
  }

  @Test
  void javaMatchesDetectron2() throws Exception {
    JsonNode index = TestBundles.JSON.readTree(golden.resolve("index.json").toFile());
    long comparable = 0;
    int compared = 0;
    double maxBox = 0;
    double minIou = 1;
    double maxKeypoint = 0;
    double seconds = 0;
    int keypointInstances = 0;
    for (JsonNode f : index.get("files")) {
      Path file = golden.resolve(f.get("golden").asText());
      JsonNode g = TestBundles.JSON.readTree(file.toFile());
      comparable += GoldenComparison.comparable(g);
      for (JsonNode d : g.get("detections")) {
        keypointInstances += d.get("category_id").asInt() == 1 ? 1 : 0;
      }
      GoldenComparison.Stats s = GoldenComparison.compare(model, root.resolve("samples/images"), file);
      compared += s.compared();
      maxBox = Math.max(maxBox, s.maxBoxDiff());
      minIou = Math.min(minIou, s.minMaskIou());
      maxKeypoint = Math.max(maxKeypoint, s.maxKeypointDiff());
      seconds += s.seconds();
    }
    assertTrue(comparable >= 10, "samples/golden-detectron2 holds only " + comparable + " detections to compare");
    assertTrue(keypointInstances >= 1, "no person detection in the goldens: keypoints would go untested");
    assertEquals(comparable, compared);
    System.out.printf("detectron2 parity: %d detections, max box diff %.4f px, min mask IoU %.4f, max keypoint "
        + "diff %.4f px, %.2f s/image%n", compared, maxBox, minIou, maxKeypoint, seconds / index.get("files").size());
  }
}
