package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bundle validation: every problem is reported at load time, naming the bundle and the field. */
class ModelBundleTest {
  @TempDir Path tmp;

  private String failure(Consumer<ObjectNode> edit) throws Exception {
    Path dir = TestBundles.write(tmp.resolve("b"), new byte[] {1, 2, 3}, edit);
    return assertThrows(InvalidBundleException.class, () -> ModelBundle.load(dir)).getMessage();
  }

  @Test
  void validBundleLoads() throws Exception {
    Path dir = TestBundles.write(tmp.resolve("ok"), new byte[] {1, 2, 3}, d -> {});
    ModelBundle b = ModelBundle.load(dir);
    assertEquals("test-model", b.name());
    assertEquals(2, b.categories().size());
    assertEquals(3, b.categoryForLabel(2).id());
    assertTrue(b.categoryForLabel(1).hasKeypoints());
    assertEquals(17, b.categoryForLabel(1).sigmas().length);
    assertEquals(new ResizeRule(320, 512), b.resize());
    assertEquals(0.5f, b.defaultOptions().scoreThreshold());
    assertEquals(1.0f, b.maskBoxScale(), "masks cover the detection box itself when the bundle says nothing");
  }

  @Test
  void maskBoxScaleIsReadAndChecked() throws Exception {
    Path dir = TestBundles.write(tmp.resolve("scaled"), new byte[] {1, 2, 3},
        d -> ((ObjectNode) d.get("output")).put("mask_box_scale", 1.2));
    assertEquals(1.2f, ModelBundle.load(dir).maskBoxScale());
    assertTrue(failure(d -> ((ObjectNode) d.get("output")).put("mask_box_scale", 0.8))
        .contains("output.mask_box_scale must be between 1 and 4.0, got 0.8"));
    assertTrue(failure(d -> ((ObjectNode) d.get("output")).put("mask_box_scale", 12))
        .contains("output.mask_box_scale must be between 1 and 4.0, got 12"));
    String msg = failure(d -> ((ObjectNode) d.get("output")).put("mask_box_scale", "1.2"));
    assertTrue(msg.contains("$.output.mask_box_scale") && msg.contains("number"), msg);
  }

  @Test
  void detectron2ResizeAndPostprocessingAreReadAndUnknownNamesRefused() throws Exception {
    Path dir = TestBundles.write(tmp.resolve("d2"), new byte[] {1, 2, 3}, d -> {
      ((ObjectNode) d.get("input").get("resize")).put("rule", "detectron2");
      ((ObjectNode) d.get("output")).put("postprocess", "detectron2");
    });
    ModelBundle b = ModelBundle.load(dir);
    assertEquals(new ResizeRule(320, 512, ResizeRule.Kind.DETECTRON2), b.resize());
    assertEquals(Postprocess.DETECTRON2, b.postprocess());
    assertEquals(Postprocess.TORCHVISION, ModelBundle.load(TestBundles.write(tmp.resolve("tv"), new byte[] {1}, d -> {}))
        .postprocess(), "torchvision's post-processing when the bundle says nothing");
    String msg = failure(d -> ((ObjectNode) d.get("input").get("resize")).put("rule", "opencv"));
    assertTrue(msg.contains("input.resize: unknown resize rule 'opencv', sparkseg knows [torchvision, detectron2]"), msg);
    msg = failure(d -> ((ObjectNode) d.get("output")).put("postprocess", "mmdet"));
    assertTrue(msg.contains("output.postprocess: unknown post-processing 'mmdet', sparkseg knows [torchvision, "
        + "detectron2]"), msg);
    msg = failure(d -> ((ObjectNode) d.get("output")).put("postprocess", "detectron2").put("mask_box_scale", 1.2));
    assertTrue(msg.contains("mask_box_scale must be 1 with Detectron2's post-processing"), msg);
  }

  @Test
  void missingDirectory() {
    String msg = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(tmp.resolve("nope"))).getMessage();
    assertTrue(msg.contains("nope") && msg.contains("no such directory"), msg);
  }

  @Test
  void missingDescriptor() throws Exception {
    Files.createDirectories(tmp.resolve("empty"));
    String msg = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(tmp.resolve("empty"))).getMessage();
    assertTrue(msg.contains("model.json is missing"), msg);
  }

  @Test
  void invalidJson() throws Exception {
    Path dir = TestBundles.write(tmp.resolve("bad"), new byte[] {1}, d -> {});
    Files.writeString(dir.resolve("model.json"), "{\"format\": ");
    String msg = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(dir)).getMessage();
    assertTrue(msg.contains("model.json") && msg.contains("not valid JSON"), msg);
  }

  @Test
  void checksumMismatchNamesTheFile() throws Exception {
    Path dir = TestBundles.write(tmp.resolve("sha"), new byte[] {1, 2, 3}, d -> {});
    Files.write(dir.resolve("model.pt"), new byte[] {9, 9, 9});
    String msg = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(dir)).getMessage();
    assertTrue(msg.contains("model.pt") && msg.contains("sha256 mismatch"), msg);
  }

  @Test
  void missingModelFile() throws Exception {
    Path dir = TestBundles.write(tmp.resolve("nofile"), new byte[] {1}, d -> {});
    Files.delete(dir.resolve("model.pt"));
    String msg = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(dir)).getMessage();
    assertTrue(msg.contains("model file model.pt is missing"), msg);
  }

  @Test
  void theSchemaNamesAMissingFieldOrAWrongType() throws Exception {
    String msg = failure(d -> d.remove("categories"));
    assertTrue(msg.contains("model.json does not fit the bundle schema") && msg.contains("'categories'"), msg);
    msg = failure(d -> ((ObjectNode) d.get("output")).remove("num_keypoints"));
    assertTrue(msg.contains("$.output") && msg.contains("'num_keypoints'"), msg);
    msg = failure(d -> ((ObjectNode) d.get("categories").get(1)).put("id", "3"));
    assertTrue(msg.contains("$.categories[1].id") && msg.contains("integer"), msg);
    msg = failure(d -> ((ObjectNode) d.get("input").get("resize")).put("max_size", 512.5));
    assertTrue(msg.contains("$.input.resize.max_size") && msg.contains("integer"), msg);
    msg = failure(d -> d.put("name", " "));
    assertTrue(msg.contains("$.name"), msg);
  }

  @Test
  void everyBundleInTheRepositoryFitsTheSchema() {
    // the embedded model; the schema itself is the file the Python exporter validates against
    assertEquals("sparkseg-synthetic-maskrcnn", ModelBundle.load(TestBundles.repoRoot().resolve("samples/model")).name());
    assertTrue(Files.isRegularFile(TestBundles.repoRoot().resolve("models/" + BundleSchema.RESOURCE)));
  }

  @Test
  void missingAndWrongFields() throws Exception {
    assertTrue(failure(d -> d.put("format", "other/2")).contains("format is 'other/2'"));
    assertTrue(failure(d -> ((ObjectNode) d.get("input")).put("channel_order", "BGR")).contains("'BGR'"));
    assertTrue(failure(d -> ((ObjectNode) d.get("input").get("resize")).put("min_size", 0)).contains("min_size"));
    assertTrue(failure(d -> ((ObjectNode) d.get("output")).putArray("names").add("boxes")).contains("output.names"));
    assertTrue(failure(d -> ((ObjectNode) d.get("output")).put("num_keypoints", 5)).contains("declares 17 keypoints"));
    assertTrue(failure(d -> ((ObjectNode) d.get("categories").get(1)).put("label", 5)).contains("label is 5"));
    assertTrue(failure(d -> ((ObjectNode) d.get("categories").get(1)).put("id", 1)).contains("duplicate category id 1"));
    assertTrue(failure(d -> ((ObjectNode) d.get("thresholds")).put("score", 1.5)).contains("score threshold"));
    assertTrue(failure(d -> ((ObjectNode) d.get("categories").get(0)).putArray("sigmas").add(0.1)).contains("17 keypoints but 1 sigmas"));
  }
}
