package io.sparkseg.job.segment;

import java.nio.file.Path;
import java.util.Iterator;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

/**
 * The per-partition work of a run: takes {@code (image_id, path)} rows and emits one
 * {@link io.sparkseg.tables.ImagesTable#WITH_INSTANCES} row per input row, in input order. The
 * executor's model is loaded once per JVM ({@link ModelHolder}); images go through the executor's
 * shared pipeline ({@link ExecutorPipeline}) via a bounded {@link SegmentingWindow}, so reading,
 * decoding, pasting and the Parquet writing that consumes these rows overlap the forward passes.
 */
public final class PartitionSegmenter implements FlatMapFunction<Iterator<Row>, Row> {
  private static final long serialVersionUID = 1L;
  private final SegmentSettings settings;
  private final RunMetrics metrics;

  public PartitionSegmenter(SegmentSettings settings, RunMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    if (!input.hasNext()) {
      return input;
    }
    Configuration conf = settings.hadoopConf().get();
    String device = Devices.forTask(settings.device());
    ModelHolder.Lease lease = ModelHolder.get(
        settings.bundleUri(), device, settings.flipTest(), conf, Path.of(settings.modelCacheDir()));
    if (lease.loadedNow() && metrics != null) {
      metrics.modelLoads.add(1);
      metrics.modelLoadMs.add(lease.loadMs());
    }
    ExecutorPipeline pipeline = ExecutorPipeline.get(ModelHolder.key(settings.bundleUri(), device,
        settings.flipTest()), lease.model(),
        settings.pipeline());
    SegmentingWindow<Row> window = new SegmentingWindow<>(input, r -> ImageBytes.read(r.getString(1), conf),
        lease.model(), pipeline, SegmentingWindow.options(lease.model(), settings.scoreThreshold(),
        settings.maskThreshold()), settings.maxImagePixels(), settings.pipeline().prefetch());
    return window.map(s -> {
      account(s);
      return ResultRows.imageResult(s.item().getLong(0), s.item().getString(1), s.outcome());
    });
  }

  /** Accumulators are not thread-safe: only the task thread adds to them. */
  private void account(SegmentingWindow.Segmented<Row> s) {
    if (metrics == null) {
      return;
    }
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
