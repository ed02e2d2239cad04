package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** model.json's {@code precisions}: which file each precision loads, checked when it is asked for. */
class PrecisionVariantsTest {
  @TempDir Path tmp;

  private Path bundle(String name, byte[] variant, java.util.function.Consumer<ObjectNode> precisions)
      throws Exception {
    Path dir = tmp.resolve(name);
    Files.createDirectories(dir);
    Files.write(dir.resolve("model-fp16.pt"), variant);
    return TestBundles.write(dir, new byte[] {1, 2, 3}, d -> precisions.accept(d.putObject("precisions")));
  }

  @Test
  void fp32IsTheModelFileAndAVariantItsDeclaredFileWhenItHashesRight() throws Exception {
    byte[] v = {9, 8, 7};
    Path dir = bundle("ok", v, p -> p.putObject("fp16").put("model_file", "model-fp16.pt")
        .put("sha256", ModelBundle.sha256Hex(v)));
    ModelBundle b = ModelBundle.load(dir);
    assertEquals(b.modelFile(), b.modelFile(Precision.FP32));
    assertEquals(dir.resolve("model-fp16.pt"), b.modelFile(Precision.FP16));
    assertEquals(Set.of(Precision.FP16), b.precisionVariants());
    InvalidBundleException e = assertThrows(InvalidBundleException.class, () -> b.modelFile(Precision.BF16));
    assertTrue(e.getMessage().contains("has no bf16 model (model.json precisions: [fp16])")
        && e.getMessage().contains("--precision bf16"), e.getMessage());
  }

  @Test
  void aReplacedVariantFileFailsItsHashWhenAskedFor() throws Exception {
    Path dir = bundle("bad", new byte[] {1}, p -> p.putObject("fp16").put("model_file", "model-fp16.pt")
        .put("sha256", "00"));
    ModelBundle b = ModelBundle.load(dir); // fp32 runs never read the variant
    InvalidBundleException e = assertThrows(InvalidBundleException.class, () -> b.modelFile(Precision.FP16));
    assertTrue(e.getMessage().contains("sha256 mismatch: model.json precisions.fp16"), e.getMessage());
  }

  @Test
  void aVariantOutsideTheBundleOrAnUnknownPrecisionIsRefusedAtLoad() throws Exception {
    Path outside = bundle("out", new byte[] {1}, p -> p.putObject("fp16").put("model_file", "../x.pt")
        .put("sha256", "00"));
    assertTrue(assertThrows(InvalidBundleException.class, () -> ModelBundle.load(outside)).getMessage()
        .contains("is not inside the bundle folder"));
    Path unknown = bundle("int8", new byte[] {1}, p -> p.putObject("int8").put("model_file", "m.pt")
        .put("sha256", "00"));
    assertTrue(assertThrows(InvalidBundleException.class, () -> ModelBundle.load(unknown)).getMessage()
        .contains("precisions"));
  }

  @Test
  void precisionNamesParseInAnyCase() {
    assertEquals(Precision.BF16, Precision.parse(" BF16 "));
    assertEquals("fp16", Precision.FP16.id());
    assertThrows(IllegalArgumentException.class, () -> Precision.parse("int8"));
  }
}
