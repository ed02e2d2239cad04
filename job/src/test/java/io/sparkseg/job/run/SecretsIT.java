package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.job.TestSpark;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.io.FileUtils;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.options.ListContainerOptions;
import org.jclouds.io.Payloads;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Secrets stay out of everything a run prints or writes: real {@code bin/sparkseg} processes (built jars, local
 * Spark, the shipped conf/log4j2.properties) against S3Proxy started here. The S3 credentials, a session token and
 * a proxy password come in {@code --conf}; a second secret comes as user-info in the input, output and model URIs.
 * The whole stdout+stderr of each process (log4j included), the summary JSON and every object in the bucket (tables,
 * runs table, commit manifests, summary, COCO export, HTML report) are searched for every secret string. Work
 * files: {@code job/target/secrets-it/}.
 */
class SecretsIT {
  private static final Duration TIMEOUT = Duration.ofMinutes(10);
  private static final String ACCESS = "AKIASECRETSIT0000001";
  private static final String SECRET = "secretsItSecretKeyMustNotLeak7f3a9c";
  private static final String TOKEN = "secretsItSessionTokenMustNotLeak88d1";
  private static final String PASSWORD = "secretsItProxyPasswordMustNotLeak42";
  private static final String URI_SECRET = "secretsItUriUserInfoMustNotLeak5e6b";
  private static final List<String> SECRETS = List.of(ACCESS, SECRET, TOKEN, PASSWORD, URI_SECRET);
  private static final String BUCKET = "secretsbucket";

  private static Path work;
  private static S3Endpoint s3;
  private static final List<String> conf = new ArrayList<>();
  private static SparksegProcess refused;
  private static SparksegProcess segmented;
  private static SparksegProcess reported;

  @BeforeAll
  static void runWithSecrets() throws Exception {
    work = TestSpark.repoRoot().resolve("job/target/secrets-it");
    FileUtils.deleteDirectory(work.toFile());
    Files.createDirectories(work);
    s3 = S3Endpoint.start(BUCKET, ACCESS, SECRET);
    BlobStore store = s3.store();
    for (Path p : TestSpark.sampleImages(3)) {
      store.putBlob(BUCKET, store.blobBuilder("in/" + p.getFileName()).payload(Payloads.newByteArrayPayload(
          Files.readAllBytes(p))).build());
    }
    Map<String, String> s3a = s3.s3aConf(work);
    s3a.put("fs.s3a.session.token", TOKEN); // not used by the simple provider: only carried
    s3a.put("fs.s3a.proxy.password", PASSWORD); // not used without fs.s3a.proxy.host: only carried
    s3a.forEach((k, v) -> conf.addAll(List.of("--conf", "spark.hadoop." + k + "=" + v)));
    conf.addAll(List.of("--conf", "spark.ui.enabled=false"));

    String login = "s3a://" + ACCESS + ":" + URI_SECRET + "@" + BUCKET;
    refused = SparksegProcess.start(work.resolve("refused.log"), segment("--input", login + "/in",
        "--output", login + "/out", "--model", login + "/models/bundle.zip", "--run-id", "refused"));
    assertEquals(2, refused.waitFor(TIMEOUT), refused::logTail);

    segmented = SparksegProcess.start(work.resolve("segment.log"), segment("--input", "s3a://" + BUCKET + "/in",
        "--output", "s3a://" + BUCKET + "/out", "--run-id", "secrets", "--score-threshold", "0.05",
        "--summary-json", work.resolve("summary.json").toString(),
        "--coco-results", "s3a://" + BUCKET + "/exports/secrets.json"));
    assertEquals(0, segmented.waitFor(TIMEOUT), segmented::logTail);

    List<String> report = new ArrayList<>(List.of("report", "--output", "s3a://" + BUCKET + "/out",
        "--run-id", "secrets", "--samples", "2"));
    report.addAll(conf);
    reported = SparksegProcess.start(work.resolve("report.log"), report.toArray(new String[0]));
    assertEquals(0, reported.waitFor(TIMEOUT), reported::logTail);
  }

  @AfterAll
  static void stopS3() throws Exception {
    if (s3 != null) {
      s3.close();
    }
  }

  private static String[] segment(String... args) {
    List<String> all = new ArrayList<>(List.of("segment", "--flip-test", "off", "--batch-size", "1",
        "--progress-interval", "0"));
    all.addAll(List.of(args));
    all.addAll(conf);
    return all.toArray(new String[0]);
  }

  @Test
  void uriLoginsAreRefusedBeforeAnyTaskNamingTheUrisRedacted() {
    String log = refused.log();
    assertTrue(log.contains("--input s3a://***@" + BUCKET + "/in"), log);
    assertTrue(log.contains("--output s3a://***@" + BUCKET + "/out"), log);
    assertTrue(log.contains("--model s3a://***@" + BUCKET + "/models/bundle.zip"), log);
    assertTrue(log.contains("fs.s3a.access.key"), "names where credentials go instead:\n" + log);
    assertNoSecret("the refused run's output", log);
  }

  @Test
  void noSecretInTheWholeLogOfARunAndItsReport() {
    assertTrue(segmented.log().contains("\"images_total\" : 3"), segmented::logTail);
    assertNoSecret("bin/sparkseg segment's stdout+stderr", segmented.log());
    assertTrue(reported.log().contains("report: s3a://" + BUCKET + "/out/_reports/secrets.html"), reported::logTail);
    assertNoSecret("bin/sparkseg report's stdout+stderr", reported.log());
  }

  @Test
  void noSecretInTheSummaryOrAnyObjectTheRunWrote() throws Exception {
    String summary = Files.readString(work.resolve("summary.json"));
    JsonNode s = new ObjectMapper().readTree(summary);
    assertEquals(3, s.get("images_ok").asLong(), summary);
    assertNoSecret("the summary JSON", summary);
    BlobStore store = s3.store();
    List<String> names = new ArrayList<>();
    for (StorageMetadata m : store.list(BUCKET, ListContainerOptions.Builder.recursive())) {
      if (m.getName().endsWith("/")) {
        continue;
      }
      names.add(m.getName());
      try (InputStream in = store.getBlob(BUCKET, m.getName()).getPayload().openStream()) {
        assertNoSecret(m.getName(), new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
      }
    }
    for (String expected : List.of("out/images/", "out/instances/", "out/runs/", "out/_summary/secrets.json",
        "out/_reports/secrets.html", "exports/secrets.json", "/_SUCCESS")) {
      assertTrue(names.stream().anyMatch(n -> n.contains(expected)), expected + " is among " + names);
    }
  }

  private static void assertNoSecret(String where, String text) {
    for (String secret : SECRETS) {
      int at = text.indexOf(secret);
      assertFalse(at >= 0, () -> where + " holds a secret: ..."
          + text.substring(Math.max(0, at - 300), Math.min(text.length(), at + 100)) + "...");
    }
  }
}
