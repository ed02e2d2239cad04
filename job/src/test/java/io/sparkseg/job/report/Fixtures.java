package io.sparkseg.job.report;

import io.sparkseg.job.TestSpark;
import io.sparkseg.udfs.SparksegFunctions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.apache.spark.sql.SparkSession;

/** The shared test session with sparkseg's SQL functions, and the result-table fixture (once per JVM). */
final class Fixtures {
  private static ResultFixture fixture;
  private static SparkSession registered;

  private Fixtures() {}

  static synchronized SparkSession spark() {
    SparkSession spark = TestSpark.session();
    if (registered != spark) {
      // the shared session is created without spark.sql.extensions: the Java users' one-call register
      SparksegFunctions.register(spark);
      registered = spark;
    }
    return spark;
  }

  static synchronized ResultFixture results() {
    if (fixture == null) {
      try {
        fixture = ResultFixture.write(spark(), Files.createTempDirectory("sparkseg-report-fixture-"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return fixture;
  }
}
