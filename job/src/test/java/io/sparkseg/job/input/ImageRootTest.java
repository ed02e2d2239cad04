package io.sparkseg.job.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

class ImageRootTest {
  private final ImageRoot root = ImageRoot.of("/data/imgs", new Configuration());

  @Test
  void relativeNamesResolveInsideTheRoot() {
    for (String[] c : new String[][] {{"a.jpg", "file:/data/imgs/a.jpg"}, {"sub/b.jpg", "file:/data/imgs/sub/b.jpg"},
        {"sub/../c.jpg", "file:/data/imgs/c.jpg"}, {"./d.jpg", "file:/data/imgs/d.jpg"},
        {"..e.jpg", "file:/data/imgs/..e.jpg"}}) {
      ImageRoot.Resolved r = root.resolve(c[0]);
      assertEquals(c[1], r.path(), c[0]);
      assertNull(r.refused(), c[0]);
    }
  }

  @Test
  void absoluteNamesAndNamesThatClimbOutAreRefusedAsGiven() {
    for (String name : List.of("/etc/passwd", "file:/data/imgs/a.jpg", "s3a://bucket/a.jpg", "//host/a.jpg")) {
      ImageRoot.Resolved r = root.resolve(name);
      assertEquals(name, r.path(), "the name as given");
      assertTrue(r.refused().contains("'" + name + "' is absolute") && r.refused().contains("--image-root file:/data/imgs"),
          r.refused());
    }
    for (String name : List.of("../x.jpg", "sub/../../x.jpg", "..", ".", "../imgs2/a.jpg")) {
      ImageRoot.Resolved r = root.resolve(name);
      assertEquals(name, r.path());
      assertTrue(r.refused().contains("climbs out"), name + ": " + r.refused());
    }
    assertTrue(root.resolve("").refused().contains("is not a path"));
  }
}
