package io.sparkseg.job.evaluate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Locates the shared pycocotools reference vectors ({@code <repo root>/../shared/coco-vectors}). */
final class TestVectors {
  private TestVectors() {}

  static Path dir() {
    String root = System.getProperty("sparkseg.repo.root");
    if (root != null && !root.isBlank()) {
      Path p = Paths.get(root).toAbsolutePath().resolve("../shared/coco-vectors").normalize();
      if (Files.isDirectory(p)) {
        return p;
      }
    }
    for (Path d = Paths.get("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve("shared/coco-vectors"))) {
        return d.resolve("shared/coco-vectors");
      }
    }
    throw new IllegalStateException("shared/coco-vectors not found (sparkseg.repo.root=" + root + ")");
  }
}
