package io.sparkseg.job.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.job.TestSpark;
import io.sparkseg.job.ml.MaskRcnnTransformer;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executors run the bundle the driver validated and no other: not one that replaced it at its URI after the
 * check, not a cached copy that no longer hashes to it (the ML transformer, which shares the segment job's
 * executor path; its transform() validates on the driver, its tasks run later).
 */
class ValidatedBundleTest {
  @TempDir
  Path tmp;

  private Path sampleBundle(String name) throws Exception {
    Path b = Files.createDirectories(tmp.resolve(name));
    Files.copy(TestSpark.modelDir().resolve("model.pt"), b.resolve("model.pt"));
    Files.copy(TestSpark.modelDir().resolve("model.json"), b.resolve("model.json"));
    return b;
  }

  private Dataset<Row> images() throws Exception {
    Path dir = tmp.resolve("imgs");
    TestSpark.copySamples(dir, 1);
    return TestSpark.session().read().format("binaryFile").load(dir.toString());
  }

  /** The sample categories' names in upper case: a valid model.json of the same size saying something else. */
  private static void shoutCategoryNames(Path modelJson) throws Exception {
    FileTime mtime = Files.getLastModifiedTime(modelJson);
    String json = Files.readString(modelJson);
    String shouted = json;
    for (String name : List.of("person", "bicycle", "car", "dog", "bottle", "chair")) {
      shouted = shouted.replace("\"name\": \"" + name + "\"", "\"name\": \"" + name.toUpperCase() + "\"");
    }
    assertFalse(json.equals(shouted));
    Files.writeString(modelJson, shouted);
    Files.setLastModifiedTime(modelJson, mtime);
    assertEquals(json.length(), Files.size(modelJson));
  }

  @Test
  void aBundleReplacedAfterTheDriversCheckIsRefusedByTheExecutors() throws Exception {
    Path bundle = sampleBundle("replaced");
    Dataset<Row> out = new MaskRcnnTransformer().setModelUri(bundle.toString()).transform(images());
    shoutCategoryNames(bundle.resolve("model.json"));
    Exception e = assertThrows(Exception.class, () -> out.select("instances").collectAsList());
    String msg = String.valueOf(e.getMessage());
    assertTrue(msg.contains("changed after it was validated") && msg.contains("replaced"), msg);
  }

  @Test
  void aCachedCopyThatNoLongerHashesToTheValidatedBundleIsFetchedAgain() throws Exception {
    Path bundle = sampleBundle("zipped");
    Path archive = tmp.resolve("bundle.zip");
    try (OutputStream os = Files.newOutputStream(archive); ZipOutputStream z = new ZipOutputStream(os)) {
      for (String f : List.of("model.json", "model.pt")) {
        z.putNextEntry(new ZipEntry(f));
        Files.copy(bundle.resolve(f), z);
        z.closeEntry();
      }
    }
    Path cache = tmp.resolve("cache");
    Dataset<Row> out = new MaskRcnnTransformer().setModelUri(archive.toString()).setModelCacheDir(cache.toString())
        .setScoreThreshold(0.05).transform(images());
    // the driver's check unpacked the archive into the cache; its copy is then edited in place (same size, same
    // modification time), so an executor on that host would find a different bundle there
    try (Stream<Path> s = Files.walk(cache)) {
      for (Path json : s.filter(p -> p.getFileName().toString().equals("model.json")).toList()) {
        shoutCategoryNames(json);
      }
    }
    Set<String> names = new HashSet<>();
    for (Row r : out.select("instances").collectAsList()) {
      for (Row instance : r.<Row>getList(0)) {
        names.add(instance.getAs("category_name"));
      }
    }
    assertFalse(names.isEmpty(), "the sample image has detections");
    assertTrue(List.of("person", "bicycle", "car", "dog", "bottle", "chair").containsAll(names),
        "the validated bundle's categories: " + names);
  }
}
