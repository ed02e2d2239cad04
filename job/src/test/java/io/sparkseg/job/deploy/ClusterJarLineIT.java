package io.sparkseg.job.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The cluster jar of the Spark line this build is for ({@code mvn -P spark3.5_2.12 verify}, or the
 * default line): named for its line, without Spark, Scala, Delta or Iceberg inside (the cluster
 * brings those, at its own line), and compiled against its line only: no class of ours refers to
 * an API that only another Spark or Scala line has, and each shim is the one of this line. Also
 * checks that the tests themselves ran on the line's Spark and Scala.
 */
@Tag("smoke")
class ClusterJarLineIT {
  /** Spark 4 only: where the classic (non-Connect) session and column conversions live. */
  static final String SPARK4_CLASSIC = "org/apache/spark/sql/classic/";
  /** Scala 2.13 only: the Java-side collection converters, and a 2.13-only collection. */
  static final List<String> SCALA213_ONLY = List.of("scala/jdk/", "scala/collection/immutable/ArraySeq");
  /** Scala 2.12's converters (deprecated in 2.13): only the 2.12 shim may use them. */
  static final String SCALA212_CONVERTERS = "scala/collection/JavaConverters";
  /** What the cluster provides: never inside the jar. */
  static final List<String> PROVIDED = List.of("scala/", "org/apache/spark/", "io/delta/", "org/apache/iceberg/");
  static final int JAVA_17 = 61;

  private static String sparkMinor;
  private static String scalaBinary;
  private static Path jar;

  @BeforeAll
  static void line() {
    String line = System.getProperty("sparkseg.spark.line");
    Matcher m = Pattern.compile("spark(\\d+\\.\\d+)_(\\d+\\.\\d+)").matcher(String.valueOf(line));
    assertTrue(m.matches(), "sparkseg.spark.line (set by the pom) is " + line);
    sparkMinor = m.group(1);
    scalaBinary = m.group(2);
    jar = Path.of(System.getProperty("sparkseg.cluster.jar"));
  }

  @Test
  void testsRunOnTheLinesSparkAndScala() {
    String spark = org.apache.spark.package$.MODULE$.SPARK_VERSION();
    String scalaVersion = scala.util.Properties.versionNumberString();
    assertTrue(spark.startsWith(sparkMinor + "."), "Spark " + spark + " on line " + sparkMinor);
    assertTrue(scalaVersion.startsWith(scalaBinary + "."), "Scala " + scalaVersion + " on line " + scalaBinary);
  }

  @Test
  void theJarIsNamedForItsLine() {
    assertTrue(Files.isRegularFile(jar), jar + " (mvn package writes it)");
    String name = jar.getFileName().toString();
    boolean defaultLine = sparkMinor.equals("4.0") && scalaBinary.equals("2.13");
    assertEquals(defaultLine, !name.contains("-spark"), name);
    if (!defaultLine) {
      assertTrue(name.endsWith("-spark" + sparkMinor + "_" + scalaBinary + ".jar"), name);
    }
  }

  @Test
  void holdsNoSparkScalaDeltaOrIcebergClasses() throws IOException {
    List<String> found = new ArrayList<>();
    try (JarFile j = new JarFile(jar.toFile())) {
      for (Enumeration<JarEntry> e = j.entries(); e.hasMoreElements(); ) {
        String name = e.nextElement().getName();
        if (PROVIDED.stream().anyMatch(name::startsWith) && name.endsWith(".class")) {
          found.add(name);
        }
      }
    }
    assertEquals(List.of(), found.stream().limit(10).toList(), found.size() + " provided classes in " + jar);
  }

  @Test
  void ourClassesReferToThisLinesSparkAndScalaOnly() throws IOException {
    boolean spark4 = sparkMinor.startsWith("4.");
    boolean scala213 = scalaBinary.equals("2.13");
    List<String> wrong = new ArrayList<>();
    int classes = 0;
    try (JarFile j = new JarFile(jar.toFile())) {
      for (Enumeration<JarEntry> e = j.entries(); e.hasMoreElements(); ) {
        JarEntry entry = e.nextElement();
        if (!entry.getName().startsWith("io/sparkseg/") || !entry.getName().endsWith(".class")) {
          continue;
        }
        classes++;
        byte[] bytes;
        try (InputStream in = j.getInputStream(entry)) {
          bytes = in.readAllBytes();
        }
        // class file major version (bytes 6-7): the release every line is compiled for
        int major = ((bytes[6] & 0xff) << 8) | (bytes[7] & 0xff);
        if (major != JAVA_17) {
          wrong.add(entry.getName() + ": class file version " + major);
        }
        // the constant pool holds every class name a class refers to, as plain ASCII
        String pool = new String(bytes, StandardCharsets.ISO_8859_1);
        if (!spark4 && pool.contains(SPARK4_CLASSIC)) {
          wrong.add(entry.getName() + " refers to Spark 4's " + SPARK4_CLASSIC);
        }
        for (String only213 : SCALA213_ONLY) {
          if (!scala213 && pool.contains(only213)) {
            wrong.add(entry.getName() + " refers to Scala 2.13's " + only213);
          }
        }
        if (scala213 && pool.contains(SCALA212_CONVERTERS)) {
          wrong.add(entry.getName() + " uses Scala 2.12's " + SCALA212_CONVERTERS);
        }
      }
      assertTrue(classes > 100, classes + " classes of ours in " + jar);
      assertEquals(List.of(), wrong);
      // and the shims are this line's: each one's twin would refer to the other line's API
      assertEquals(spark4, refersTo(j, "io/sparkseg/compat/SparkApi.class", SPARK4_CLASSIC), "SparkApi of Spark " + sparkMinor);
      assertEquals(scala213, refersTo(j, "io/sparkseg/compat/ScalaApi.class", "scala/jdk/javaapi/CollectionConverters"),
          "ScalaApi of Scala " + scalaBinary);
    }
  }

  private static boolean refersTo(JarFile j, String entry, String name) throws IOException {
    JarEntry e = j.getJarEntry(entry);
    assertFalse(e == null, jar + " lacks " + entry);
    try (InputStream in = j.getInputStream(e)) {
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains(name);
    }
  }
}
