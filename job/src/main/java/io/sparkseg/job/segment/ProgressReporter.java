package io.sparkseg.job.segment;

import java.util.Locale;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A driver thread that logs a progress line every {@code intervalSeconds}: images done/total,
 * images/s, ETA and failures, from the run's accumulators (updated as tasks finish).
 */
public final class ProgressReporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);
  private final RunMetrics metrics;
  private final long total;
  private final long startNanos = System.nanoTime();
  private final Thread thread;
  private final Consumer<String> sink;
  private volatile boolean stopped;

  public ProgressReporter(RunMetrics metrics, long total, double intervalSeconds) {
    this(metrics, total, intervalSeconds, LOG::info);
  }

  ProgressReporter(RunMetrics metrics, long total, double intervalSeconds, Consumer<String> sink) {
    this.metrics = metrics;
    this.total = total;
    this.sink = sink;
    long intervalMs = Math.max(100, (long) (intervalSeconds * 1000));
    this.thread = new Thread(() -> {
      while (!stopped) {
        try {
          Thread.sleep(intervalMs);
        } catch (InterruptedException e) {
          return;
        }
        if (!stopped) {
          sink.accept(line());
        }
      }
    }, "sparkseg-progress");
    thread.setDaemon(true);
    if (intervalSeconds > 0) {
      thread.start();
    }
  }

  /** The current progress line. */
  public String line() {
    long done = metrics.images.value();
    long failed = metrics.failed.value();
    double secs = (System.nanoTime() - startNanos) / 1e9;
    double rate = secs > 0 ? done / secs : 0;
    String eta = rate > 0 && done < total ? duration((total - done) / rate) : (done >= total ? "0s" : "unknown");
    return String.format(Locale.ROOT, "progress: %d/%d images (%.1f%%), %.2f images/s, ETA %s, failures %d",
        done, total, total == 0 ? 100.0 : 100.0 * done / total, rate, eta, failed);
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return (s / 60) + "m" + (s % 60) + "s";
    }
    return (s / 3600) + "h" + ((s % 3600) / 60) + "m";
  }

  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
  }
}
