package io.sparkseg.job.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The S3 jars the Kubernetes image copies into Spark's jars: built here with the same Maven command
 * the image build uses (deploy/k8s/pom.xml), then opened. s3a:// needs the S3A file system
 * (hadoop-aws), the AWS SDK v2 it calls (the bundle) and the S3A committers' Spark binding
 * (spark-hadoop-cloud), each at the version the tests ran against, or the image fails at the first
 * s3a:// path (the apache/spark base image has none of them).
 */
class ImageCloudJarsTest {
  static final String FOLDER = "deploy/k8s/target/cloud-jars";

  @Test
  void theImageGetsHadoopAwsTheSdkBundleAndSparkHadoopCloudAtTheTestedVersions() throws Exception {
    Path repo = DeployFiles.repo();
    Path log = Files.createTempFile("sparkseg-k8s-jars", ".log");
    Process p = new ProcessBuilder("mvn", "-B", "-q", "-f", "deploy/k8s/pom.xml", "package")
        .directory(repo.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(600, TimeUnit.SECONDS), "mvn -f deploy/k8s/pom.xml package did not finish");
    assertEquals(0, p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));

    Map<String, Path> jars = new TreeMap<>();
    try (Stream<Path> s = Files.list(repo.resolve(FOLDER))) {
      s.forEach(j -> jars.put(j.getFileName().toString(), j));
    }
    String hadoop = org.apache.hadoop.util.VersionInfo.getVersion();
    String spark = org.apache.spark.package$.MODULE$.SPARK_VERSION();
    String scalaLine = scala.util.Properties.versionNumberString().replaceFirst("^(\\d+\\.\\d+).*", "$1");
    // by name: the Spark 3.5 lines' hadoop-aws brings the v1 SDK, and every line compiles this test
    String sdk = (String) Class.forName("software.amazon.awssdk.core.util.VersionInfo").getField("SDK_VERSION").get(null);
    assertEquals(List.of("bundle-" + sdk + ".jar", "hadoop-aws-" + hadoop + ".jar",
        "spark-hadoop-cloud_" + scalaLine + "-" + spark + ".jar"), List.copyOf(jars.keySet()),
        "exactly the three jars, at the versions on the tests' classpath");
    assertHas(jars.get("hadoop-aws-" + hadoop + ".jar"), "org/apache/hadoop/fs/s3a/S3AFileSystem.class",
        "org/apache/hadoop/fs/s3a/commit/S3ACommitterFactory.class");
    assertHas(jars.get("bundle-" + sdk + ".jar"), "software/amazon/awssdk/services/s3/S3Client.class");
    assertHas(jars.get("spark-hadoop-cloud_" + scalaLine + "-" + spark + ".jar"),
        "org/apache/spark/internal/io/cloud/PathOutputCommitProtocol.class",
        "org/apache/spark/internal/io/cloud/BindingParquetOutputCommitter.class");
    assertTrue(DockerfileTest.copiedTargets().contains("/opt/spark/jars/"));
  }

  private static void assertHas(Path jar, String... entries) throws IOException {
    assertNotNull(jar);
    try (JarFile j = new JarFile(jar.toFile())) {
      for (String e : entries) {
        assertNotNull(j.getEntry(e), jar.getFileName() + " lacks " + e);
      }
    }
  }
}
