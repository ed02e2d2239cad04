package io.sparkseg.job.output.format;

import io.sparkseg.job.TestSpark;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.SparkSessionExtensions;
import scala.Function1;
import scala.runtime.BoxedUnit;

/**
 * A session prepared for every table format, as {@link TableFormat#sessionConf} says, plus a local
 * Hadoop Iceberg catalog {@code lake}. It shares the test JVM's one SparkContext
 * ({@link TestSpark}), which started without the formats' extensions, so the extensions named in
 * {@code spark.sql.extensions} are installed through the builder (Spark reads that setting only when
 * the context starts); the JVM's default session stays TestSpark's.
 */
public final class FormatSession {
  public static final String CATALOG = "lake";

  private FormatSession() {}

  public static SparkSession open(Path warehouse) {
    SparkSession shared = TestSpark.session();
    Map<String, String> conf = new LinkedHashMap<>(TableFormat.DELTA.sessionConf(TableFormat.ICEBERG.sessionConf(Map.of())));
    conf.put("spark.sql.catalog." + CATALOG, "org.apache.iceberg.spark.SparkCatalog");
    conf.put("spark.sql.catalog." + CATALOG + ".type", "hadoop");
    conf.put("spark.sql.catalog." + CATALOG + ".warehouse", warehouse.toUri().toString());
    SparkSession.Builder b = SparkSession.builder();
    for (String name : conf.get(TableFormat.EXTENSIONS).split(",")) {
      b.withExtensions(extension(name));
    }
    conf.forEach(b::config);
    // tiny tables: fewer tasks per write, and per Delta log replay (50 by default)
    b.config("spark.sql.shuffle.partitions", "2");
    b.config("spark.databricks.delta.snapshotPartitions", "2");
    // a new session with these extensions on the shared context (Builder.create is Spark 4 only)
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
    SparkSession s = b.getOrCreate();
    SparkSession.setDefaultSession(shared);
    SparkSession.setActiveSession(shared);
    return s;
  }

  @SuppressWarnings("unchecked")
  private static Function1<SparkSessionExtensions, BoxedUnit> extension(String className) {
    try {
      return (Function1<SparkSessionExtensions, BoxedUnit>) Class.forName(className).getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("session extension " + className + " is not on the test classpath", e);
    }
  }
}
