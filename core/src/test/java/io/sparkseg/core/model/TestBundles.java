package io.sparkseg.core.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkseg.core.testing.RepoRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Builds bundle folders for tests: a model file plus a model.json that tests can bend. */
final class TestBundles {
  static final ObjectMapper JSON = new ObjectMapper();

  private TestBundles() {}

  /** The repository root. */
  static Path repoRoot() {
    return RepoRoot.path();
  }

  /** A valid descriptor for a 2-category model (person with 17 keypoints, car). */
  static ObjectNode descriptor(String sha256) {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", ModelBundle.FORMAT);
    root.put("name", "test-model");
    root.put("version", "0.0.1");
    root.put("model_file", "model.pt");
    root.put("sha256", sha256);
    ArrayNode cats = root.putArray("categories");
    ObjectNode person = cats.addObject();
    person.put("label", 1).put("id", 1).put("name", "person").put("supercategory", "person");
    ArrayNode kp = person.putArray("keypoints");
    ArrayNode sig = person.putArray("sigmas");
    for (int i = 0; i < 17; i++) {
      kp.add("k" + i);
      sig.add(0.05);
    }
    person.putArray("skeleton").addArray().add(1).add(2);
    cats.addObject().put("label", 2).put("id", 3).put("name", "car").put("supercategory", "vehicle");
    ObjectNode input = root.putObject("input");
    input.put("layout", "NCHW").put("dtype", "float32").put("channel_order", "RGB");
    input.putArray("value_range").add(0.0).add(1.0);
    input.putObject("normalization").put("inside_model", true);
    input.putObject("resize").put("rule", "torchvision").put("min_size", 320).put("max_size", 512);
    input.put("size_divisibility", 32);
    ObjectNode output = root.putObject("output");
    ArrayNode names = output.putArray("names");
    ModelBundle.OUTPUT_NAMES.forEach(names::add);
    output.put("box_format", "xyxy").put("coordinates", "resized_input");
    output.put("mask_resolution", 28).put("num_keypoints", 17);
    root.putObject("thresholds").put("score", 0.5).put("mask", 0.5);
    return root;
  }

  /** Writes {@code modelBytes} as model.pt and a descriptor (bent by {@code edit}) into a new folder. */
  static Path write(Path dir, byte[] modelBytes, Consumer<ObjectNode> edit) throws IOException {
    Files.createDirectories(dir);
    Path model = dir.resolve("model.pt");
    Files.write(model, modelBytes);
    ObjectNode d = descriptor(ModelBundle.sha256Hex(model));
    edit.accept(d);
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("model.json").toFile(), d);
    return dir;
  }
}
