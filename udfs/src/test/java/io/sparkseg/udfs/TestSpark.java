package io.sparkseg.udfs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.spark.sql.SparkSession;

/** Local Spark sessions and the shared pycocotools vectors for the tests. */
final class TestSpark {
  private TestSpark() {}

  /** A fresh {@code local[2]} session with the sparkseg extensions (or without, for register()). */
  static SparkSession session(boolean extensions) {
    SparkSession.Builder b = SparkSession.builder()
        .master("local[2]")
        .appName("sparkseg-udfs-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        // tiny test data: skip Janino compilation and adaptive re-planning, both CPU-heavy here
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC");
    if (extensions) {
      b.config("spark.sql.extensions", SparksegExtensions.class.getName());
    }
    return b.getOrCreate();
  }

  static Path repoRoot() {
    String root = System.getProperty("sparkseg.repo.root");
    if (root != null && !root.isBlank()) {
      return Paths.get(root).toAbsolutePath().normalize();
    }
    Path d = Paths.get("").toAbsolutePath();
    while (d != null && !Files.exists(d.resolve("udfs/pom.xml"))) {
      d = d.getParent();
    }
    if (d == null) {
      throw new IllegalStateException("repository root not found above " + Paths.get("").toAbsolutePath());
    }
    return d;
  }

  /** {@code <repo root>/../shared/coco-vectors/<name>}. */
  static Path vectors(String name) {
    Path p = repoRoot().resolve("../shared/coco-vectors").normalize().resolve(name);
    if (!Files.exists(p)) {
      throw new IllegalStateException("pycocotools vectors not found: " + p);
    }
    return p;
  }
}
