package io.sparkseg.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.PathType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The presence and types of model.json's fields, as {@code models/bundle.schema.json} writes them down once for
 * both the Python exporter and this reader (the file is packaged next to this class).
 */
final class BundleSchema {
  /** The schema's resource name, next to this class in the core jar. */
  static final String RESOURCE = "bundle.schema.json";

  private static final Schema SCHEMA = load();

  private BundleSchema() {}

  private static Schema load() {
    try (InputStream in = BundleSchema.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath (core's build packages it)");
      }
      // fields named as JSON paths ($.output.names), as the Python side names them
      SchemaRegistryConfig config = SchemaRegistryConfig.builder().pathType(PathType.JSON_PATH).build();
      return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
          builder -> builder.schemaRegistryConfig(config)).getSchema(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Checks a parsed model.json.
   *
   * @throws InvalidBundleException naming {@code where} and every field that does not fit (e.g.
   *     {@code $.output: required property 'names' not found})
   */
  static void check(JsonNode descriptor, String where) {
    List<Error> errors = SCHEMA.validate(descriptor);
    if (!errors.isEmpty()) {
      throw new InvalidBundleException(where + ": " + ModelBundle.DESCRIPTOR + " does not fit the bundle schema: "
          + errors.stream().map(Error::toString).collect(Collectors.joining("; ")));
    }
  }
}
