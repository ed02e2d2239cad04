package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading module attribute writes out of real TorchScript archives. */
class ModuleStateWritesTest {
  @TempDir Path tmp;

  private Path file(String name, byte[] bytes) throws Exception {
    return Files.write(tmp.resolve(name), bytes);
  }

  @Test
  void findsTheModuleWriteAndIgnoresAPlainClassSettingItsOwnFields() throws Exception {
    // writes_module_state.pt: forward does self.calls += 1 and builds a plain class that sets self.sizes
    Path pt = file("w.pt", MaskRcnnModelContractTest.resource("writes_module_state.pt"));
    assertEquals(List.of("WritesModuleState.calls"), ModuleStateWrites.find(pt));
  }

  @Test
  void followsTheReceiverThroughAnyNameAndThroughSubmoduleAliases() throws Exception {
    // writes_submodule_state.pt: forward(this, ...) does "counter = this.counter; counter.seen = ..."
    Path pt = file("s.pt", MaskRcnnModelContractTest.resource("writes_submodule_state.pt"));
    assertEquals(List.of("_Counter.seen"), ModuleStateWrites.find(pt));
  }

  @Test
  void followsObjectsHeldInOptionalListAndDictAttributesButNotOnesTheMethodCreates() throws Exception {
    // writes_held_objects.pt: forward bumps a field of a _Cache held as Optional[_Cache] (through
    // unchecked_cast), of each one in a List[_Cache] (loop index, then a constant index) and of one in a
    // Dict[str, _Cache]; the _Cache it creates itself (own_hits) is its own
    Path pt = file("h.pt", MaskRcnnModelContractTest.resource("writes_held_objects.pt"));
    assertEquals(List.of("_Cache.indexed_hits", "_Cache.keyed_hits", "_Cache.listed_hits", "_Cache.optional_hits"),
        ModuleStateWrites.find(pt));
  }

  @Test
  void findsTorchvisionsOwnAnchorAndPoolerWritesButNotItsPlainClassesInitializers() throws Exception {
    // scripted torchvision AnchorGenerator and MultiScaleRoIAlign, as torchvision ships them; LevelMapper
    // and ImageList are plain classes that set their own fields in __init__
    Path pt = file("tv.pt", MaskRcnnModelContractTest.resource("torchvision_stateful_parts.pt"));
    assertEquals(List.of("AnchorGenerator.cell_anchors", "MultiScaleRoIAlign.map_levels", "MultiScaleRoIAlign.scales"),
        ModuleStateWrites.find(pt));
  }

  @Test
  void theEmbeddedModelAndAStatelessFileHaveNone() throws Exception {
    assertEquals(List.of(), ModuleStateWrites.find(TestBundles.repoRoot().resolve("samples/model/model.pt")));
    assertEquals(List.of(), ModuleStateWrites.find(file("t.pt", MaskRcnnModelContractTest.resource("three_outputs.pt"))));
  }

  @Test
  void aFileThatIsNotAnArchiveIsLeftToLibtorch() throws Exception {
    assertEquals(List.of(), ModuleStateWrites.find(file("junk.pt", new byte[] {1, 2, 3})));
  }
}
