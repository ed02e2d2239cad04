package io.sparkseg.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Locates the shared pycocotools reference vectors ({@code <repo root>/../shared/coco-vectors}). */
public final class CocoVectors {
  private CocoVectors() {}

  public static Path dir() {
    String root = System.getProperty("sparkseg.repo.root");
    if (root != null && !root.isBlank()) {
      Path p = Paths.get(root).toAbsolutePath().normalize().resolve("../shared/coco-vectors").normalize();
      if (Files.isDirectory(p)) {
        return p;
      }
    }
    Path d = Paths.get("").toAbsolutePath();
    while (d != null) {
      Path p = d.resolve("shared/coco-vectors");
      if (Files.isDirectory(p)) {
        return p;
      }
      d = d.getParent();
    }
    throw new IllegalStateException("shared/coco-vectors not found above " + Paths.get("").toAbsolutePath()
        + " (sparkseg.repo.root=" + root + ")");
  }

  public static Path file(String name) {
    return dir().resolve(name);
  }
}
