package io.sparkseg.job.executor;

import java.io.Serializable;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * Spark accumulators the segmenting tasks update: progress (images done, failed, instances) and
 * timings (model loads and their milliseconds, read, decode and inference milliseconds). Values
 * reach the driver's accumulators when tasks finish (running tasks' partial values come with
 * executor heartbeats, see {@link RunningTaskAccumulators}); a retried task counts twice, so exact
 * counts in the run summary come from the images table, not from here.
 */
public final class RunMetrics implements Serializable {
  private static final long serialVersionUID = 1L;
  public final LongAccumulator images;
  public final LongAccumulator failed;
  public final LongAccumulator instances;
  public final LongAccumulator modelLoads;
  public final LongAccumulator modelLoadMs;
  public final DoubleAccumulator readMs;
  public final DoubleAccumulator decodeMs;
  public final DoubleAccumulator inferenceMs;
  /** One {@link ModelPlacement#line()} per task: where each executor's model ran, and in what precision. */
  public final CollectionAccumulator<String> placements;

  public RunMetrics(SparkContext sc) {
    images = sc.longAccumulator("sparkseg.images");
    failed = sc.longAccumulator("sparkseg.failed");
    instances = sc.longAccumulator("sparkseg.instances");
    modelLoads = sc.longAccumulator("sparkseg.model_loads");
    modelLoadMs = sc.longAccumulator("sparkseg.model_load_ms");
    readMs = sc.doubleAccumulator("sparkseg.read_ms");
    decodeMs = sc.doubleAccumulator("sparkseg.decode_ms");
    inferenceMs = sc.doubleAccumulator("sparkseg.inference_ms");
    placements = sc.collectionAccumulator("sparkseg.model_placements");
  }

  /** The distinct placements the tasks reported, in executor order (on the driver, after the tasks). */
  public List<ModelPlacement> placements() {
    TreeSet<String> lines = new TreeSet<>(placements.value());
    return lines.stream().map(ModelPlacement::parse).toList();
  }
}
