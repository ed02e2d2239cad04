package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files that pass bundle validation but cannot serve as the model fail in {@link MaskRcnnModel#load}, and in the
 * driver's {@link MaskRcnnModel#verify}, with the file and the reason in the message (real libtorch; tiny
 * TorchScript files from models/tools).
 */
class MaskRcnnModelContractTest {
  @TempDir Path tmp;

  static byte[] resource(String name) throws Exception {
    try (InputStream in = MaskRcnnModelContractTest.class.getResourceAsStream("/bundles/" + name)) {
      return in.readAllBytes();
    }
  }

  /** The message of load's failure, checked to be verify's too. */
  private String loadFailure(byte[] model) throws Exception {
    ModelBundle bundle = ModelBundle.load(TestBundles.write(tmp.resolve("b" + System.nanoTime()), model, d -> {}));
    String verifyMsg = assertThrows(InvalidBundleException.class, () -> MaskRcnnModel.verify(bundle, FlipTest.AUTO))
        .getMessage();
    String msg = assertThrows(InvalidBundleException.class, () -> MaskRcnnModel.load(bundle, "cpu")).getMessage();
    assertEquals(msg, verifyMsg);
    return msg;
  }

  @Test
  void corruptModelFile() throws Exception {
    byte[] junk = new byte[4096];
    new Random(1).nextBytes(junk);
    String msg = loadFailure(junk);
    assertTrue(msg.contains("model.pt") && msg.contains("cannot load it as a TorchScript model"), msg);
  }

  @Test
  void wrongNumberOfOutputs() throws Exception {
    String msg = loadFailure(resource("three_outputs.pt"));
    assertTrue(msg.contains("returned 3 outputs"), msg);
  }

  @Test
  void wrongMaskShape() throws Exception {
    String msg = loadFailure(resource("wrong_mask_shape.pt"));
    assertTrue(msg.contains("'mask_probs'") && msg.contains("(1, 1, 28, 28)"), msg);
  }

  @Test
  void aForwardThatAssignsModuleStateIsRefusedBeforeLibtorchRunsIt() throws Exception {
    String msg = loadFailure(resource("writes_module_state.pt"));
    assertTrue(msg.contains("model.pt") && msg.contains("assigns module attributes [WritesModuleState.calls]")
        && msg.contains("export rebundle"), msg);
  }

  @Test
  void aBundleDeclaringMinScoreWhoseModelCannotTakeItFailsAtLoad() throws Exception {
    byte[] model = resource("two_inputs_only.pt");
    // the same file serves a bundle that does not declare the input
    ModelBundle plain = ModelBundle.load(TestBundles.write(tmp.resolve("plain"), model, d -> {}));
    MaskRcnnModel.load(plain, "cpu").close();
    ModelBundle declaring = ModelBundle.load(TestBundles.write(tmp.resolve("declaring"), model,
        d -> ((ObjectNode) d.get("input")).putObject("optional_inputs")
            .put("min_score", "float tensor of one element")));
    assertTrue(declaring.takesMinScore());
    String msg = assertThrows(InvalidBundleException.class, () -> MaskRcnnModel.load(declaring, "cpu")).getMessage();
    assertTrue(msg.contains("model.pt") && msg.contains("does not follow the sparkseg contract")
        && msg.contains("min_score"), msg);
    // the driver's check makes the four-input call too
    MaskRcnnModel.verify(plain, FlipTest.AUTO);
    assertEquals(msg, assertThrows(InvalidBundleException.class, () -> MaskRcnnModel.verify(declaring, FlipTest.AUTO))
        .getMessage());
  }

  @Test
  void theEmbeddedModelPassesTheDriversCheck() throws Exception {
    ModelBundle sample = ModelBundle.load(TestBundles.repoRoot().resolve("samples/model"));
    MaskRcnnModel.verify(sample, FlipTest.AUTO);
    try (MaskRcnnModel m = MaskRcnnModel.load(sample, "cpu")) {
      assertEquals(sample, m.bundle());
    }
  }

  @Test
  void badDeviceName() {
    assertThrows(IllegalArgumentException.class, () -> MaskRcnnModel.parseDevice("tpu:0"));
  }
}
