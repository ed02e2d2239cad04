package io.sparkseg.job.run;

import io.sparkseg.job.executor.RunMetrics;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.spark.SparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A driver thread that logs a progress line every {@code intervalSeconds}: images done/total,
 * images/s, ETA and failures. Live while tasks run: the counts are the run's accumulators (which
 * the driver only updates when a task ends) plus the partial values that running tasks report
 * with executor heartbeats ({@link RunningTaskAccumulators}), so a run of a few big partitions
 * does not sit at 0 until its first task ends. Closing it stops the thread and removes the
 * listener.
 */
public final class ProgressReporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);
  private final RunMetrics metrics;
  private final long total;
  private final long startNanos = System.nanoTime();
  private final Thread thread;
  private final SparkContext sc;
  private final RunningTaskAccumulators running;
  private volatile boolean stopped;

  public ProgressReporter(SparkContext sc, RunMetrics metrics, long total, double intervalSeconds) {
    this(sc, metrics, total, intervalSeconds, LOG::info);
  }

  ProgressReporter(SparkContext sc, RunMetrics metrics, long total, double intervalSeconds, Consumer<String> sink) {
    this.sc = sc;
    this.metrics = metrics;
    this.total = total;
    this.running = new RunningTaskAccumulators(metrics.images.id(), metrics.failed.id());
    sc.addSparkListener(running);
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
    // a finished task's value is briefly in both the accumulator and the partials (until the
    // listener sees its end), so the sum can overshoot by a task: never report more than total
    long done = Math.min(total, metrics.images.value() + running.partial(metrics.images.id()));
    long failed = Math.min(done, metrics.failed.value() + running.partial(metrics.failed.id()));
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
    sc.removeSparkListener(running);
  }
}
