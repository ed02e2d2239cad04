package io.sparkseg.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository root, where tests find samples/ (the bundled model, images, goldens). */
public final class RepoRoot {
  private RepoRoot() {}

  /** Surefire passes {@code sparkseg.repo.root}; without it, the nearest folder up from here with samples/ and a pom. */
  public static Path path() {
    String p = System.getProperty("sparkseg.repo.root");
    Path start = p != null ? Path.of(p) : Path.of("").toAbsolutePath();
    for (Path d = start; d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve("samples")) && Files.isRegularFile(d.resolve("pom.xml"))) {
        return d;
      }
    }
    return start;
  }
}
