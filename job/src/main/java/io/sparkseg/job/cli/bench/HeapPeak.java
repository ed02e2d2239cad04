package io.sparkseg.job.cli.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JVM's Java heap peak read from its unified GC log ({@code -Xlog:gc,gc+heap+exit}). Between
 * two collections the used heap only grows, so the largest "before" of any pause, and the used
 * heap at exit, is the peak of the used heap; the largest "after" is the most the heap still held
 * right after a collection (an upper bound on what was live: a young pause leaves old garbage).
 *
 * @param usedMb peak used heap (MiB)
 * @param afterGcMb largest heap left after a collection (MiB)
 * @param collections pauses in the log
 */
record HeapPeak(double usedMb, double afterGcMb, int collections) {
  private static final Pattern PAUSE = Pattern.compile("Pause .* (\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");
  private static final Pattern EXIT = Pattern.compile("\\[gc,heap,exit\\s*\\].*heap\\s+total \\d+[KMG], used (\\d+)([KMG])");

  /** The JVM flag that writes the log {@link #read} reads. */
  static String logFlag(Path gcLog) {
    return "-Xlog:gc,gc+heap+exit:file=\"" + gcLog.toAbsolutePath() + "\"";
  }

  static HeapPeak read(Path gcLog) throws IOException {
    return parse(Files.exists(gcLog) ? Files.readAllLines(gcLog, StandardCharsets.UTF_8) : List.of());
  }

  static HeapPeak parse(List<String> lines) {
    double used = 0;
    double after = 0;
    int pauses = 0;
    for (String line : lines) {
      Matcher m = PAUSE.matcher(line);
      if (m.find()) {
        pauses++;
        used = Math.max(used, mb(m.group(1), m.group(2)));
        after = Math.max(after, mb(m.group(3), m.group(4)));
        continue;
      }
      Matcher e = EXIT.matcher(line);
      if (e.find()) {
        used = Math.max(used, mb(e.group(1), e.group(2)));
      }
    }
    return new HeapPeak(used, after, pauses);
  }

  private static double mb(String value, String unit) {
    double v = Long.parseLong(value);
    return switch (unit) {
      case "K" -> v / 1024;
      case "G" -> v * 1024;
      default -> v;
    };
  }
}
