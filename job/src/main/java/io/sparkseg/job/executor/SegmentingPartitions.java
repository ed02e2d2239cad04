package io.sparkseg.job.executor;

import java.util.Iterator;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.TaskCompletionListener;

/**
 * The one executor path every Spark entry point (the segment job, the ML transformer) runs: per
 * partition it leases the executor's model ({@link ModelHolder}, loaded once per JVM, the bundle the driver
 * validated and no other), joins the
 * executor's shared pipeline ({@link ExecutorPipeline}) through a bounded {@link SegmentingWindow},
 * counts every image in the {@link RunMetrics} accumulators, and emits one row per input row, in
 * input order. Subclasses only say where an input row's image bytes come from and what row to emit.
 */
public abstract class SegmentingPartitions implements FlatMapFunction<Iterator<Row>, Row> {
  private static final long serialVersionUID = 1L;
  private final ExecutorSettings settings;
  private final RunMetrics metrics;

  protected SegmentingPartitions(ExecutorSettings settings, RunMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
  }

  /** The image bytes of an input row, or a read failure; runs on the prepare threads. */
  protected abstract ImageBytes.Read read(Row row, Configuration conf);

  /** The bytes of the image file at {@code path}, within the byte limit; for {@link #read}. */
  protected final ImageBytes.Read readFile(String path, Configuration conf) {
    return ImageBytes.read(path, conf, settings.thresholds().maxImageBytes());
  }

  /** Image bytes an input row holds, within the byte limit; for {@link #read}. */
  protected final ImageBytes.Read readGiven(byte[] bytes) {
    return ImageBytes.given(bytes, settings.thresholds().maxImageBytes());
  }

  /** The output row for an input row and what happened to its image; runs on the task thread. */
  protected abstract Row output(Row row, ImageOutcome outcome);

  @Override
  public final Iterator<Row> call(Iterator<Row> input) {
    if (!input.hasNext()) {
      return input;
    }
    Configuration conf = settings.hadoopConf().get();
    ModelRef m = settings.model();
    String device = m.device().forTask();
    ModelHolder.Lease lease = ModelHolder.get(m, device, conf);
    if (lease.loadedNow()) {
      metrics.modelLoads.add(1);
      metrics.modelLoadMs.add(lease.loadMs());
    }
    metrics.placements.add(ModelPlacement.of(lease.model()).line());
    ExecutorPipeline pipeline =
        ExecutorPipeline.get(ModelHolder.key(m, device), lease.model(), settings.pipeline());
    Thresholds t = settings.thresholds();
    SegmentingWindow<Row> window = new SegmentingWindow<>(input, r -> read(r, conf), lease.model(), pipeline,
        SegmentingWindow.options(lease.model(), t.score(), t.mask()), t.maxImagePixels(),
        settings.pipeline().prefetch());
    TaskContext task = TaskContext.get();
    if (task != null) {
      // a task that ends early (a limit, a failure, a kill) leaves no images running for it
      task.addTaskCompletionListener((TaskCompletionListener) ctx -> window.close());
    }
    return window.map(s -> {
      account(s);
      return output(s.item(), s.outcome());
    });
  }

  /** Accumulators are not thread-safe: only the task thread adds to them. */
  private void account(SegmentingWindow.Segmented<Row> s) {
    ImageOutcome o = s.outcome();
    metrics.images.add(1);
    if (!o.ok()) {
      metrics.failed.add(1);
    }
    metrics.instances.add(o.instances().size());
    metrics.readMs.add(s.readNanos() / 1e6);
    metrics.decodeMs.add(s.decodeNanos() / 1e6);
    metrics.inferenceMs.add(o.inferenceMs() == null ? 0 : o.inferenceMs());
  }
}
