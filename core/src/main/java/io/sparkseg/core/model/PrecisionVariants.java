package io.sparkseg.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The reduced-precision model files a bundle declares (model.json {@code precisions}: per precision its
 * {@code model_file} and {@code sha256}). A variant's file is hashed when it is asked for, not when the bundle
 * loads: a run in float32 never reads it. model.json's own digest pins the declared hashes.
 */
final class PrecisionVariants {
  private record Variant(String file, String sha256) {}

  private final Path directory;
  private final Map<Precision, Variant> variants;

  private PrecisionVariants(Path directory, Map<Precision, Variant> variants) {
    this.directory = directory;
    this.variants = variants;
  }

  /** The variants of model.json's {@code precisions} (schema-checked: objects with model_file and sha256). */
  static PrecisionVariants parse(JsonNode precisions, Path directory, String where) {
    Map<Precision, Variant> m = new EnumMap<>(Precision.class);
    for (Iterator<Map.Entry<String, JsonNode>> it = precisions.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Precision p = Precision.parse(e.getKey()); // the schema allows fp16 and bf16 only
      String file = e.getValue().get("model_file").asText();
      if (Path.of(file).isAbsolute() || !directory.resolve(file).normalize().startsWith(directory.normalize())) {
        throw new InvalidBundleException(where + ": precisions." + p.id() + ".model_file '" + file
            + "' is not inside the bundle folder");
      }
      m.put(p, new Variant(file, e.getValue().get("sha256").asText().toLowerCase()));
    }
    return new PrecisionVariants(directory, m);
  }

  /** The precisions the bundle has beyond fp32. */
  Set<Precision> available() {
    return variants.keySet();
  }

  /**
   * The checked model file of a variant.
   *
   * @throws InvalidBundleException when the bundle has no such variant, its file is missing or hashes otherwise
   */
  Path file(Precision p, String bundleName) {
    Variant v = variants.get(p);
    if (v == null) {
      throw new InvalidBundleException("model bundle " + directory + " (" + bundleName + ") has no " + p.id()
          + " model (model.json precisions: " + (variants.isEmpty() ? "none"
              : available().stream().map(Precision::id).toList().toString()) + "); add one with `python3 -m sparkseg_models.precision --bundle " + directory
          + " --precision " + p.id() + "` (models/README.md), or run with --precision fp32");
    }
    Path file = directory.resolve(v.file());
    if (!Files.isRegularFile(file)) {
      throw new InvalidBundleException("model bundle " + directory + ": " + p.id() + " model file " + v.file()
          + " is missing");
    }
    String actual = ModelBundle.sha256Hex(file);
    if (!actual.equals(v.sha256())) {
      throw new InvalidBundleException(file + ": sha256 mismatch: model.json precisions." + p.id() + " says "
          + v.sha256() + " but the file hashes to " + actual + " (corrupt or replaced model file)");
    }
    return file;
  }
}
