package io.sparkseg.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.job.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A command run in a JVM whose Spark session is already running (a notebook's; here the tests') shares that
 * session: secrets in its --conf are refused before anything is set there, the rest still applies.
 */
class SharedSessionSecretsTest {
  private static final String SECRET = "sharedSessionSecretKeyNotToBeSet01";
  private static final String TOKEN = "sharedSessionTokenNotToBeSet02";
  private static final String PASSWORD = "sharedSessionPasswordNotToBeSet03";

  @TempDir
  Path tmp;

  @Test
  void secretsInConfAreRefusedAndNeverSetIntoTheRunningSession() {
    SparkSession shared = TestSpark.session();
    TestSpark.CliResult r = TestSpark.cli("segment", "--input", tmp.resolve("none").toString(),
        "--output", tmp.resolve("out").toString(), "--run-id", "shared",
        "--conf", "spark.hadoop.fs.s3a.bucket.sharedtest.secret.key=" + SECRET,
        "--conf", "spark.hadoop.fs.s3a.bucket.sharedtest.session.token=" + TOKEN,
        "--conf", "spark.sparkseg.sharedtest.password=" + PASSWORD,
        "--conf", "spark.hadoop.sparkseg.sharedtest.plain=kept-out-too");
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().contains("--conf spark.hadoop.fs.s3a.bucket.sharedtest.secret.key, "
        + "spark.hadoop.fs.s3a.bucket.sharedtest.session.token, spark.sparkseg.sharedtest.password: secrets are "
        + "not set into the Spark session already running"), r.err());
    for (String secret : new String[] {SECRET, TOKEN, PASSWORD}) {
      assertFalse(r.err().contains(secret) || r.out().contains(secret), r.err());
    }
    Configuration hconf = shared.sparkContext().hadoopConfiguration();
    assertNull(hconf.get("fs.s3a.bucket.sharedtest.secret.key"));
    assertNull(hconf.get("fs.s3a.bucket.sharedtest.session.token"));
    assertFalse(shared.conf().contains("spark.sparkseg.sharedtest.password"));
    assertNull(hconf.get("sparkseg.sharedtest.plain"), "nothing of a refused --conf is set");
    assertFalse(Files.exists(tmp.resolve("out")), "nothing ran");
  }

  @Test
  void otherConfStillReachesTheRunningSession() {
    try (SparkSessions.Handle h = SparkSessions.open("t", Map.of("spark.hadoop.sparkseg.sharedtest.endpoint",
        "http://127.0.0.1:1", "spark.sparkseg.sharedtest.setting", "on"), false)) {
      assertFalse(h.created());
      assertEquals("http://127.0.0.1:1", h.spark().sparkContext().hadoopConfiguration()
          .get("sparkseg.sharedtest.endpoint"));
      assertEquals("on", h.spark().conf().get("spark.sparkseg.sharedtest.setting"));
    }
    SparkSession shared = TestSpark.session();
    assertThrows(SharedSessionSecretsException.class, () -> SparkSessions.open("t",
        Map.of("spark.hadoop.fs.s3a.bucket.sharedtest.access.key", "AKIASHAREDTEST00001"), false));
    assertNull(shared.sparkContext().hadoopConfiguration().get("fs.s3a.bucket.sharedtest.access.key"));
  }
}
