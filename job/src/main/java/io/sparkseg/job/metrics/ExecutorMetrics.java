package io.sparkseg.job.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.sparkseg.core.pipeline.BatchListener;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executor's sparkseg metrics, registered in the registry Spark gives
 * {@link SparksegMetricsPlugin}. Without the plugin (it is optional) every recording call does
 * nothing. Names (all under the plugin's source):
 * <ul>
 *   <li>{@code images} meter: images through the model (its rates are the executor's images/s)</li>
 *   <li>{@code batchSize} histogram; {@code forwardTime} timer (per batch);
 *       {@code queueWait} timer (per image, time queued before its batch ran);
 *       {@code queueDepth} gauge (images waiting for the model)</li>
 *   <li>{@code postprocessTime} timer (per batch: mask paste, RLE, results); {@code instances} counter</li>
 *   <li>{@code prepareTime} timer (per image: read + decode); {@code imagesOk} and {@code imagesFailed} counters</li>
 * </ul>
 */
public final class ExecutorMetrics {
  private static volatile Metrics installed;

  private ExecutorMetrics() {}

  private record Metrics(Meter images, Histogram batchSize, Timer forwardTime, Timer queueWait, AtomicInteger queueDepth,
      Timer postprocessTime, Counter instances, Timer prepareTime, Counter imagesOk, Counter imagesFailed) {}

  /** Registers the metrics in {@code registry}; called by the plugin when the executor starts. */
  public static synchronized void install(MetricRegistry registry) {
    AtomicInteger depth = new AtomicInteger();
    registry.register("queueDepth", (Gauge<Integer>) depth::get);
    installed = new Metrics(registry.meter("images"), registry.histogram("batchSize"), registry.timer("forwardTime"),
        registry.timer("queueWait"), depth, registry.timer("postprocessTime"), registry.counter("instances"),
        registry.timer("prepareTime"), registry.counter("imagesOk"), registry.counter("imagesFailed"));
  }

  /** A listener for the executor's inference batcher that records into the installed metrics. */
  public static BatchListener listener() {
    return new BatchListener() {
      @Override
      public void onBatch(int images, long forwardNanos, long queueWaitNanos, int queueDepth) {
        Metrics m = installed;
        if (m != null) {
          m.images().mark(images);
          m.batchSize().update(images);
          m.forwardTime().update(forwardNanos, TimeUnit.NANOSECONDS);
          m.queueWait().update(queueWaitNanos / Math.max(1, images), TimeUnit.NANOSECONDS);
          m.queueDepth().set(queueDepth);
        }
      }

      @Override
      public void onPostprocess(int instances, long nanos) {
        Metrics m = installed;
        if (m != null) {
          m.postprocessTime().update(nanos, TimeUnit.NANOSECONDS);
          m.instances().inc(instances);
        }
      }
    };
  }

  /** One image was read and decoded (or failed to be) in {@code nanos}. */
  public static void prepared(long nanos) {
    Metrics m = installed;
    if (m != null) {
      m.prepareTime().update(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** One image finished, with status ok or not. */
  public static void finished(boolean ok) {
    Metrics m = installed;
    if (m != null) {
      (ok ? m.imagesOk() : m.imagesFailed()).inc();
    }
  }
}
