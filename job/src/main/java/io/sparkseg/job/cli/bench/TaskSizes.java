package io.sparkseg.job.cli.bench;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * What the driver ships to and receives from tasks, as Spark reports it: the largest serialized
 * task (data parallelized from the driver travels inside its tasks), the largest broadcast (a
 * task's closure travels as one) and the largest task result (what a collect brings back).
 * Spark states the first two only in its INFO log ({@code TaskSetManager}'s "Starting task ...
 * (N bytes)", {@code MemoryStore}'s "Block broadcast_N_pieceM stored as bytes ... (estimated size
 * ...)"), so those two loggers go to this listener alone; results come from task metrics. Add it
 * with {@code sc.addSparkListener} or {@code spark.extraListeners} (it then prints its figures
 * when the application ends).
 */
public final class TaskSizes extends SparkListener {
  private static final Pattern TASK = Pattern.compile("Starting task .*, (\\d+) bytes\\)");
  private static final Pattern PIECE = Pattern.compile(
      "Block (broadcast_\\d+)_piece\\d+ stored as bytes in memory \\(estimated size ([0-9.]+) (B|KiB|MiB|GiB)");
  private static final List<String> LOGGERS =
      List.of("org.apache.spark.scheduler.TaskSetManager", "org.apache.spark.storage.memory.MemoryStore");

  private final AtomicLong task = new AtomicLong();
  private final AtomicLong result = new AtomicLong();
  private final AtomicLong tasks = new AtomicLong();
  private final Map<String, Long> broadcasts = new ConcurrentHashMap<>();

  public TaskSizes() {
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    Configuration config = ctx.getConfiguration();
    AbstractAppender appender = new AbstractAppender("sparkseg-task-sizes", null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        seen(event.getMessage().getFormattedMessage());
      }
    };
    appender.start();
    for (String name : LOGGERS) {
      LoggerConfig lc = new LoggerConfig(name, Level.INFO, false);
      lc.addAppender(appender, Level.INFO, null);
      config.removeLogger(name); // a listener before this one: the lines now come here
      config.addLogger(name, lc);
    }
    ctx.updateLoggers();
  }

  void seen(String line) {
    Matcher m = TASK.matcher(line);
    if (m.find()) {
      task.accumulateAndGet(Long.parseLong(m.group(1)), Math::max);
      tasks.incrementAndGet();
      return;
    }
    m = PIECE.matcher(line);
    if (m.find()) {
      double v = Double.parseDouble(m.group(2));
      long bytes = (long) (v * switch (m.group(3)) {
        case "KiB" -> 1024;
        case "MiB" -> 1024 * 1024;
        case "GiB" -> 1024L * 1024 * 1024;
        default -> 1;
      });
      broadcasts.merge(m.group(1), bytes, Long::sum);
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    if (end.taskMetrics() != null) {
      result.accumulateAndGet(end.taskMetrics().resultSize(), Math::max);
    }
  }

  @Override
  public void onApplicationEnd(SparkListenerApplicationEnd end) {
    System.err.println(summary());
  }

  /** The largest serialized task seen (bytes). */
  public long largestTask() {
    return task.get();
  }

  /** Tasks started. */
  public long tasks() {
    return tasks.get();
  }

  /** The largest task result (bytes). */
  public long largestResult() {
    return result.get();
  }

  /** The largest broadcast, serialized (bytes). */
  public long largestBroadcast() {
    return broadcasts.values().stream().mapToLong(Long::longValue).max().orElse(0);
  }

  /** One line with the figures, as {@code bench eval-scale} reads them back. */
  public String summary() {
    return "task sizes: tasks " + tasks() + ", largest task " + largestTask() + " bytes, largest task result "
        + largestResult() + " bytes, largest broadcast " + largestBroadcast() + " bytes";
  }
}
