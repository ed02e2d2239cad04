package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.core.image.TestImages;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.secrets.Secrets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.options.ListContainerOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * s3a:// input, output and model bundle (a zip) against a real S3 endpoint: S3Proxy in-process on jclouds' transient
 * (in-memory) blobstore, reached over HTTP by hadoop-aws with signed requests. Checks that commits go
 * through the S3A magic committer (nothing staged outside the bucket, nothing left under
 * {@code __magic}), run replacement, and that the credentials appear nowhere in the output.
 */
class S3aEndToEndTest {
  private static final String ACCESS = "AKIASPARKSEGTEST0001";
  private static final String SECRET = "sparksegSecretKeyDoNotLeak0123456789XYZ";
  private static final String BUCKET = "segbucket";

  @TempDir
  static Path tmp;
  static S3Endpoint s3;
  static List<String> s3aConf;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = S3Endpoint.start(BUCKET, ACCESS, SECRET);
    s3aConf = new ArrayList<>();
    Configuration conf = TestSpark.session().sparkContext().hadoopConfiguration();
    for (Map.Entry<String, String> e : s3.s3aConf(tmp).entrySet()) {
      conf.set(e.getKey(), e.getValue());
      // the keys are the session's, set above as its owner would: a command refuses secrets in --conf for a
      // running session (SharedSessionSecretsTest); SecretsIT gives them in --conf to bin/sparkseg
      if (!Secrets.isSecretKey(e.getKey())) {
        s3aConf.add("--conf");
        s3aConf.add("spark.hadoop." + e.getKey() + "=" + e.getValue());
      }
    }
  }

  @AfterAll
  static void stopS3() throws Exception {
    Configuration conf = TestSpark.session().sparkContext().hadoopConfiguration();
    for (String k : List.of("fs.s3a.access.key", "fs.s3a.secret.key", "fs.s3a.endpoint")) {
      conf.unset(k);
    }
    if (s3 != null) {
      s3.close();
    }
  }

  private static TestSpark.CliResult segment(String... args) {
    List<String> all = new ArrayList<>(List.of("segment"));
    all.addAll(List.of(args));
    all.addAll(s3aConf);
    return TestSpark.cli(all.toArray(new String[0]));
  }

  private static void upload(String key, byte[] data) throws Exception {
    Configuration conf = TestSpark.session().sparkContext().hadoopConfiguration();
    try (FileSystem fs = FileSystem.newInstance(URI.create("s3a://" + BUCKET + "/"), conf);
        var out = fs.create(new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/" + key))) {
      out.write(data);
    }
  }

  private static byte[] zipOf(Path dir) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(bytes)) {
      for (String name : List.of("model.json", "model.pt")) {
        z.putNextEntry(new ZipEntry(name));
        Files.copy(dir.resolve(name), z);
        z.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  @Test
  void segmentsFromAndToS3AndReplacesRunsWithoutLeakingCredentials() throws Exception {
    TestSpark.requireModel();
    for (int i = 0; i < 3; i++) {
      upload("in/a/img" + i + ".jpg", TestImages.jpeg(72 + 8 * i, 56));
    }
    upload("in/b/x.png", TestImages.png(64, 64));
    upload("in/b/y.jpg", TestImages.truncatedJpeg(64, 48));
    String out = "s3a://" + BUCKET + "/out";
    String model = TestSpark.modelDir().toString();

    TestSpark.CliResult r1 = segment("--input", "s3a://" + BUCKET + "/in/a", "--output", out, "--model", model,
        "--run-id", "s3run", "--score-threshold", "0.05", "--progress-interval", "0",
        "--coco-results", "s3a://" + BUCKET + "/exports/s3run.json");
    assertEquals(0, r1.exitCode(), r1.err());
    // the model itself from S3, as a zip archive of the bundle
    upload("models/bundle.zip", zipOf(TestSpark.modelDir()));
    // another writer's multipart upload, still pending, inside the folder the next commit writes:
    // committing must complete only its own uploads and abort nobody else's
    org.jclouds.blobstore.domain.MultipartUpload foreign = s3.store().initiateMultipartUpload(BUCKET,
        s3.store().blobBuilder("out/images/run_id=other/commit=0/foreign.parquet").build().getMetadata(),
        org.jclouds.blobstore.options.PutOptions.NONE);
    TestSpark.CliResult other = segment("--input", "s3a://" + BUCKET + "/in/a/img0.jpg", "--output", out,
        "--model", "s3a://" + BUCKET + "/models/bundle.zip", "--model-cache-dir", tmp.resolve("models").toString(),
        "--run-id", "other", "--progress-interval", "0");
    assertEquals(0, other.exitCode(), other.err());
    assertTrue(s3.store().listMultipartUploads(BUCKET).stream().anyMatch(u -> u.id().equals(foreign.id())),
        "the other writer's pending upload survived the commit: " + s3.store().listMultipartUploads(BUCKET));
    s3.store().abortMultipartUpload(foreign);
    try (Stream<Path> unpacked = Files.walk(tmp.resolve("models"))) {
      assertTrue(unpacked.anyMatch(p -> p.getFileName().toString().equals("model.pt")), "unpacked into the cache");
    }
    Dataset<Row> images = TestSpark.session().read().parquet(out + "/images");
    assertEquals(3, images.where("run_id = 's3run'").count());
    assertTrue(images.where("run_id = 's3run'").collectAsList().stream()
        .allMatch(r -> r.<String>getAs("path").startsWith("s3a://" + BUCKET + "/in/a/") && "ok".equals(r.getAs("status"))));

    // same run id, other input: --mode auto refuses before any task and names the way out
    TestSpark.CliResult refused = segment("--input", "s3a://" + BUCKET + "/in/b", "--output", out, "--model", model,
        "--run-id", "s3run", "--progress-interval", "0");
    assertEquals(2, refused.exitCode(), refused.err());
    assertTrue(refused.err().contains("--mode replace"), refused.err());
    assertEquals(3, TestSpark.session().read().parquet(out + "/images").where("run_id = 's3run'").count(),
        "the refused invocation left the committed run as it was");

    // --mode replace: the run id is recomputed from the new input, other runs stay
    TestSpark.CliResult r2 = segment("--input", "s3a://" + BUCKET + "/in/b", "--output", out, "--model", model,
        "--run-id", "s3run", "--mode", "replace", "--score-threshold", "0.05", "--progress-interval", "0",
        "--summary-json", tmp.resolve("s3.json").toString());
    assertEquals(0, r2.exitCode(), r2.err());
    images = TestSpark.session().read().parquet(out + "/images");
    Map<String, String> statuses = new TreeMap<>();
    for (Row r : images.where("run_id = 's3run'").collectAsList()) {
      statuses.put(r.<String>getAs("path").replaceFirst(".*/", ""), r.getAs("status"));
    }
    assertEquals(Map.of("x.png", "ok", "y.jpg", "decode_error"), statuses);
    assertEquals(1, images.where("run_id = 'other'").count());
    long expectedInstances = images.where("run_id = 's3run'").agg(org.apache.spark.sql.functions.sum("num_instances"))
        .first().getLong(0);
    assertEquals(expectedInstances,
        TestSpark.session().read().parquet(out + "/instances").where("run_id = 's3run'").count());
    JsonNode s = new ObjectMapper().readTree(tmp.resolve("s3.json").toFile());
    assertEquals(2, s.get("images_total").asInt());

    // every commit folder was completed by the magic committer (its _SUCCESS is the S3A manifest
    // naming it) and no pending-upload manifest is left in the bucket
    BlobStore store = s3.store();
    List<String> keys = new ArrayList<>();
    for (StorageMetadata m : store.list(BUCKET, ListContainerOptions.Builder.recursive())) {
      keys.add(m.getName());
    }
    List<String> successes = keys.stream().filter(k -> k.startsWith("out/images/") && k.endsWith("/_SUCCESS")).toList();
    assertTrue(successes.size() >= 2, keys.toString());
    for (String k : successes) {
      try (InputStream in = store.getBlob(BUCKET, k).getPayload().openStream()) {
        JsonNode manifest = new ObjectMapper().readTree(in);
        assertEquals("magic", manifest.path("committer").asText(), k + ": " + manifest);
      }
    }
    assertEquals(List.of(), keys.stream().filter(k -> k.contains("__magic")).toList(), "magic committer leftovers");

    // credentials appear in no object, no console output and no summary
    int objects = 0;
    for (StorageMetadata m : store.list(BUCKET, ListContainerOptions.Builder.recursive())) {
      if (m.getName().endsWith("/")) {
        continue;
      }
      try (InputStream in = store.getBlob(BUCKET, m.getName()).getPayload().openStream()) {
        String content = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        assertFalse(content.contains(SECRET) || content.contains(ACCESS), m.getName() + " leaks credentials");
      }
      objects++;
    }
    assertTrue(objects > 5, "parquet files, summaries and the COCO export are in the bucket");
    for (TestSpark.CliResult r : List.of(r1, other, refused, r2)) {
      assertFalse(r.out().contains(SECRET) || r.err().contains(SECRET) || r.out().contains(ACCESS) || r.err().contains(ACCESS));
    }
    String summary = Files.readString(tmp.resolve("s3.json"));
    assertFalse(summary.contains(SECRET) || summary.contains(ACCESS));
  }
}
