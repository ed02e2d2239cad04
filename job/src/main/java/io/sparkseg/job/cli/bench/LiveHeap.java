package io.sparkseg.job.cli.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What another JVM's heap holds right now: {@code jcmd PID GC.class_histogram} makes it run a full
 * GC and count the objects left, so unlike a GC log's figures this is live data, not garbage not yet
 * collected. The target pauses for that GC.
 */
final class LiveHeap {
  private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");

  private LiveHeap() {}

  /** The live heap of {@code pid} in MiB, or null where this Java has no jcmd or the JVM did not answer. */
  static Double mb(long pid) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    if (!Files.isExecutable(jcmd)) {
      return null;
    }
    Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(pid), "GC.class_histogram")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return p.waitFor() == 0 ? parse(out) : null;
  }

  /** The total of a class histogram in MiB, or null when it has none. */
  static Double parse(String histogram) {
    Matcher m = TOTAL.matcher(histogram);
    return m.find() ? Long.parseLong(m.group(1)) / (1024.0 * 1024.0) : null;
  }
}
