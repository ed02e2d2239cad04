package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.job.TestSpark;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit leaves nothing behind on the driver: a run of 12 commits keeps as many Spark sessions
 * alive after a full GC as a run of 2 (in Spark 4.0.1 each Dataset.persist leaves a cloned session
 * alive after unpersist, so a persist per commit grew the driver's heap with every commit).
 */
class DriverHeapPerCommitTest {
  private static final String SESSION = "org.apache.spark.sql.classic.SparkSession";

  @TempDir
  Path tmp;

  @Test
  void sessionsAliveAfterARunDoNotGrowWithItsCommits() throws Exception {
    Path manifest = tmp.resolve("m.csv");
    StringBuilder csv = new StringBuilder("path,image_id\n");
    for (int i = 1; i <= 24; i++) {
      csv.append(tmp.resolve("missing-" + i + ".jpg")).append(',').append(i).append('\n');
    }
    Files.writeString(manifest, csv.toString());
    segment(manifest, "warm", 12); // loads the model and whatever a first run sets up once
    long before = liveInstances(SESSION);
    segment(manifest, "two", 12);
    long afterTwo = liveInstances(SESSION);
    segment(manifest, "twelve", 2);
    long afterTwelve = liveInstances(SESSION);
    long perRunOfTwo = afterTwo - before;
    long perRunOfTwelve = afterTwelve - afterTwo;
    assertTrue(perRunOfTwelve <= perRunOfTwo + 1, "sessions left by a run of 2 commits: " + perRunOfTwo
        + ", by a run of 12: " + perRunOfTwelve);
  }

  private void segment(Path manifest, String runId, int commitImages) {
    TestSpark.CliResult r = TestSpark.cli("segment", "--manifest", manifest.toString(), "--output",
        tmp.resolve("out").toString(), "--model", TestSpark.modelDir().toString(), "--run-id", runId,
        "--commit-images", String.valueOf(commitImages), "--flip-test", "off", "--progress-interval", "0");
    assertEquals(0, r.exitCode(), r.err());
  }

  /** Live instances of a class after a full GC (the JVM's class histogram, as jcmd GC.class_histogram). */
  private static long liveInstances(String className) throws Exception {
    String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
        new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
        new Object[] {null}, new String[] {String[].class.getName()});
    for (String line : histogram.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && f[3].equals(className)) {
        return Long.parseLong(f[1]);
      }
    }
    return 0;
  }
}
