package io.sparkseg.job.segment;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

/**
 * The per-partition work of a run: takes {@code (image_id, path)} rows, reads each file with the
 * Hadoop FileSystem API, decodes it, and runs the executor's shared model on batches of
 * {@code batchSize} images. Emits one {@link io.sparkseg.job.output.Schemas#IMAGE_RESULT} row per
 * input row, lazily, one batch at a time, so memory stays bounded by the batch size.
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
        settings.bundleUri(), device, conf, Path.of(settings.modelCacheDir()));
    if (lease.loadedNow() && metrics != null) {
      metrics.modelLoads.add(1);
      metrics.modelLoadMs.add(lease.loadMs());
    }
    ImageSegmenter segmenter = new ImageSegmenter(
        lease.model(), settings.maxImagePixels(), settings.scoreThreshold(), settings.maskThreshold());
    return new BatchIterator(input, segmenter, conf);
  }

  private final class BatchIterator implements Iterator<Row> {
    private final Iterator<Row> input;
    private final ImageSegmenter segmenter;
    private final Configuration conf;
    private final ArrayDeque<Row> ready = new ArrayDeque<>();

    BatchIterator(Iterator<Row> input, ImageSegmenter segmenter, Configuration conf) {
      this.input = input;
      this.segmenter = segmenter;
      this.conf = conf;
    }

    @Override
    public boolean hasNext() {
      if (ready.isEmpty() && input.hasNext()) {
        nextBatch();
      }
      return !ready.isEmpty();
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return ready.poll();
    }

    private void nextBatch() {
      List<Long> ids = new ArrayList<>();
      List<String> paths = new ArrayList<>();
      List<ImageBytes.Read> reads = new ArrayList<>();
      long readNanos = 0;
      while (input.hasNext() && ids.size() < settings.batchSize()) {
        Row r = input.next();
        ids.add(r.getLong(0));
        String path = r.getString(1);
        paths.add(path);
        long t0 = System.nanoTime();
        reads.add(ImageBytes.read(path, conf));
        readNanos += System.nanoTime() - t0;
      }
      List<ImageSegmenter.Outcome> outcomes = segmenter.segment(reads);
      long failed = 0;
      long instances = 0;
      double decodeMs = 0;
      double inferenceMs = 0;
      for (int i = 0; i < outcomes.size(); i++) {
        ImageSegmenter.Outcome o = outcomes.get(i);
        ready.add(ResultRows.imageResult(ids.get(i), paths.get(i), o));
        if (!ImageStatus.OK.equals(o.status())) {
          failed++;
        }
        instances += o.instances().size();
        decodeMs += o.decodeNanos() / 1e6;
        inferenceMs += o.inferenceMs() == null ? 0 : o.inferenceMs();
      }
      if (metrics != null) {
        metrics.images.add(outcomes.size());
        metrics.failed.add(failed);
        metrics.instances.add(instances);
        metrics.readMs.add(readNanos / 1e6);
        metrics.decodeMs.add(decodeMs);
        metrics.inferenceMs.add(inferenceMs);
      }
    }
  }
}
