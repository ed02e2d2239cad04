package io.sparkseg.job.secrets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.job.TestSpark;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.Layout;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.properties.PropertiesConfigurationFactory;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.SimpleMessage;
import org.junit.jupiter.api.Test;

class SecretsTest {
  // values unique to this test: the registry is the JVM's
  private static final String KEY = "secretsTestRegisteredKey0a1b2c";
  private static final String URI_SECRET = "secretsTestUriPassword9z8y";

  @Test
  void loginsAreMaskedWhereverAUriStandsAndOnlyThere() {
    assertEquals("s3a://***@bucket/out", Secrets.redact("s3a://AKIA:" + URI_SECRET + "@bucket/out"));
    assertEquals("input files s3a://***@b/in, model ftp://***@host/m.zip",
        Secrets.redact("input files s3a://AKIA:x@b/in, model ftp://user:pw@host/m.zip"));
    assertEquals("s3a://***@bucket/k", Secrets.redact("s3a://AKIAONLY@bucket/k"), "an S3 user-info is the key");
    assertEquals("s3a://***@bucket/k", Secrets.redact("s3a://AKIA:abc/def@bucket/k"), "a secret with a raw '/'");
    for (String kept : new String[] {"/plain/path", "s3a://bucket/me@home.jpg", "hdfs://nn:8020/a@b.jpg",
        "wasbs://container@account.blob.core.windows.net/x", "spark://CoarseGrainedScheduler@10.0.0.1:7077",
        "sftp://user@host/x", "mail me@example.com"}) {
      assertEquals(kept, Secrets.redact(kept));
      assertFalse(Secrets.hasLogin(kept), kept);
    }
    assertTrue(Secrets.hasLogin("s3a://AKIA:" + URI_SECRET + "@bucket/out"));
    assertEquals(null, Secrets.redact(null));
  }

  @Test
  void secretKeysAreTheUsualNamesAndNotTheirNeighbours() {
    for (String k : new String[] {"spark.hadoop.fs.s3a.secret.key", "fs.s3a.access.key", "fs.s3a.session.token",
        "spark.hadoop.fs.s3a.bucket.b.secret.key", "fs.s3a.encryption.key", "fs.s3a.proxy.password",
        "spark.hadoop.javax.jdo.option.ConnectionPassword", "spark.authenticate.secret",
        "fs.azure.account.key.acct.dfs.core.windows.net", "fs.gs.auth.service.account.private.key"}) {
      assertTrue(Secrets.isSecretKey(k), k);
    }
    for (String k : new String[] {"spark.master", "spark.hadoop.fs.s3a.endpoint", "fs.s3a.aws.credentials.provider",
        "spark.io.encryption.keySizeBits", "fs.s3a.path.style.access"}) {
      assertFalse(Secrets.isSecretKey(k), k);
    }
  }

  @Test
  void registeredValuesAreMaskedButShortOrPlainOnesAreNot() {
    Secrets.registerIfSecret("spark.hadoop.fs.s3a.secret.key", KEY);
    Secrets.registerIfSecret("spark.io.encryption.keySizeBits", "secretsTestNotASecretValue");
    Secrets.registerIfSecret("fs.s3a.session.token", "true");
    assertEquals("key *** and secretsTestNotASecretValue, true", Secrets.redact(
        "key " + KEY + " and secretsTestNotASecretValue, true"));
  }

  @Test
  void theCliWritersMaskWholeLinesEvenWhenASecretComesInPieces() throws IOException {
    Secrets.register(KEY);
    StringWriter sink = new StringWriter();
    try (PrintWriter w = new PrintWriter(new RedactingWriter(sink))) {
      w.print("a " + KEY.substring(0, 9));
      w.print(KEY.substring(9) + " s3a://AK:" + URI_SECRET);
      w.println("@bucket/x");
      w.print("unfinished " + KEY);
    }
    assertEquals("a *** s3a://***@bucket/x" + System.lineSeparator() + "unfinished ***", sink.toString());
  }

  @Test
  void theShippedLogLayoutMasksMessagesAndStackTraces() throws IOException {
    Secrets.register(KEY);
    ConfigurationSource source = ConfigurationSource.fromUri(
        TestSpark.repoRoot().resolve("conf/log4j2.properties").toUri());
    Configuration config = new PropertiesConfigurationFactory().getConfiguration(new LoggerContext("secrets-test"),
        source);
    config.initialize();
    Layout<?> layout = config.getAppender("console").getLayout();
    IOException thrown = new IOException("cannot open s3a://AKIA:" + URI_SECRET + "@bucket/x with key " + KEY);
    String line = String.valueOf(layout.toSerializable(Log4jLogEvent.newBuilder()
        .setLoggerName("org.apache.hadoop.fs.s3a.S3AFileSystem").setLevel(Level.WARN)
        .setMessage(new SimpleMessage("listing s3a://AKIA:" + URI_SECRET + "@bucket/in failed, key=" + KEY))
        .setThrown(thrown).build()));
    assertTrue(line.contains("S3AFileSystem: listing s3a://***@bucket/in failed, key=***"), line);
    assertTrue(line.contains("java.io.IOException: cannot open s3a://***@bucket/x with key ***"), line);
    assertEquals(1, line.split("java.io.IOException", -1).length - 1, "the exception once, redacted:\n" + line);
    assertFalse(line.contains(URI_SECRET) || line.contains(KEY), line);
  }
}
