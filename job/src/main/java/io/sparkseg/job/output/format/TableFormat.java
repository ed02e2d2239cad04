package io.sparkseg.job.output.format;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code --table-format}: how the {@code instances}, {@code images} and {@code runs} tables are
 * stored, and the Spark settings each format needs before the session starts (extensions and
 * catalogs cannot be added to a running session).
 */
public enum TableFormat {
  /** Plain Parquet folders under {@code --output}: no extra settings. */
  PARQUET(List.of(), Map.of()),
  /** Delta Lake path tables under {@code --output}. */
  DELTA(List.of("io.delta.sql.DeltaSparkSessionExtension"),
      Map.of("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")),
  /** Apache Iceberg tables in the catalog named by {@code --output CATALOG.NAMESPACE}; the catalog
   * itself is the user's (conf/iceberg-local.properties is a local example). */
  ICEBERG(List.of("org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"), Map.of());

  /** Spark's comma-separated list of session extension classes. */
  public static final String EXTENSIONS = "spark.sql.extensions";

  private final List<String> extensions;
  private final Map<String, String> catalogs;

  TableFormat(List<String> extensions, Map<String, String> catalogs) {
    this.extensions = extensions;
    this.catalogs = catalogs;
  }

  /** The option value: parquet, delta or iceberg. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The session extension classes this format needs. */
  public List<String> extensions() {
    return extensions;
  }

  /** The catalog settings this format needs (key, value). */
  public Map<String, String> catalogs() {
    return catalogs;
  }

  /** {@code --table-format VALUE}, case-insensitive. */
  public static TableFormat parse(String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    for (TableFormat f : values()) {
      if (f.id().equals(v)) {
        return f;
      }
    }
    throw new IllegalArgumentException("--table-format '" + value + "' is not one of "
        + Arrays.stream(values()).map(TableFormat::id).collect(Collectors.joining(", ")));
  }

  /**
   * {@code given} (the settings the session will start with: the launcher's SparkConf and the
   * {@code --conf} pairs) plus what this format needs: its extensions appended once to
   * {@code spark.sql.extensions} (the user's stay first), its catalog settings where the user set
   * none. Chain calls to prepare a session for several formats.
   */
  public Map<String, String> sessionConf(Map<String, String> given) {
    Map<String, String> out = new LinkedHashMap<>(given);
    List<String> all = new ArrayList<>();
    for (String e : given.getOrDefault(EXTENSIONS, "").split(",")) {
      if (!e.isBlank()) {
        all.add(e.trim());
      }
    }
    for (String e : extensions) {
      if (!all.contains(e)) {
        all.add(e);
      }
    }
    if (!all.isEmpty()) {
      out.put(EXTENSIONS, String.join(",", all));
    }
    catalogs.forEach(out::putIfAbsent);
    return out;
  }
}
