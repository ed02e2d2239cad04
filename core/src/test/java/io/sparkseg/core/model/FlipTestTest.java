package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The flip setting against what a bundle declares: its default, and whether its model takes the switch. */
class FlipTestTest {
  @TempDir Path tmp;

  private ModelBundle bundle(String name, Boolean byDefault, boolean switchable) throws Exception {
    return ModelBundle.load(TestBundles.write(tmp.resolve(name), new byte[] {1, 2, 3}, d -> {
      if (byDefault != null) {
        d.putObject("test_time").put("flip", byDefault);
      }
      if (switchable) {
        ((ObjectNode) d.get("input")).putObject("optional_inputs").put("flip", "bool tensor of one element");
      }
    }));
  }

  @Test
  void parsesTheThreeSettingsAndNamesABadOne() {
    assertEquals(FlipTest.AUTO, FlipTest.parse("auto"));
    assertEquals(FlipTest.ON, FlipTest.parse(" ON "));
    assertEquals(FlipTest.OFF, FlipTest.parse("Off"));
    String msg = assertThrows(IllegalArgumentException.class, () -> FlipTest.parse("yes")).getMessage();
    assertEquals("flip test must be auto, on or off, got 'yes'", msg);
    assertThrows(IllegalArgumentException.class, () -> FlipTest.parse(null));
  }

  @Test
  void aSwitchableBundleGetsTheInputOnlyWhenTheCallerSaysSo() throws Exception {
    ModelBundle b = bundle("switchable", true, true);
    assertTrue(b.flipByDefault() && b.flipSwitchable());
    assertNull(FlipTest.AUTO.input(b), "auto leaves the input out: the model's default applies");
    assertEquals(Boolean.TRUE, FlipTest.ON.input(b));
    assertEquals(Boolean.FALSE, FlipTest.OFF.input(b));
    assertTrue(FlipTest.AUTO.flips(b));
    assertFalse(FlipTest.OFF.flips(b));
  }

  @Test
  void aBundleWithoutTheSwitchAcceptsOnlyWhatItDoesAnyway() throws Exception {
    ModelBundle old = bundle("old", null, false);
    assertFalse(old.flipByDefault() || old.flipSwitchable(), "bundles before the flip neither flip nor switch");
    assertNull(FlipTest.OFF.input(old), "off on a model that never flips is no switch at all");
    String msg = assertThrows(InvalidBundleException.class, () -> FlipTest.ON.input(old)).getMessage();
    assertTrue(msg.contains("cannot switch flip test-time augmentation on") && msg.contains("test-model 0.0.1")
        && msg.contains("export rebundle"), msg);
    ModelBundle fixed = bundle("fixed", true, false);
    assertNull(FlipTest.ON.input(fixed));
    assertThrows(InvalidBundleException.class, () -> FlipTest.OFF.input(fixed));
  }

  @Test
  void aBadDeclarationIsRefusedAtLoad() {
    String msg = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(TestBundles.write(
        tmp.resolve("bad"), new byte[] {1}, d -> d.putObject("test_time").put("flip", "yes")))).getMessage();
    assertTrue(msg.contains("$.test_time.flip") && msg.contains("boolean"), msg);
    msg = assertThrows(InvalidBundleException.class, () -> ModelBundle.load(TestBundles.write(
        tmp.resolve("bad2"), new byte[] {1}, d -> ((ObjectNode) d.get("input")).put("optional_inputs", "flip"))))
        .getMessage();
    assertTrue(msg.contains("$.input.optional_inputs") && msg.contains("object"), msg);
  }
}
