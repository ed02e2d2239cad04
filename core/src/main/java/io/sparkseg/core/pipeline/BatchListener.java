package io.sparkseg.core.pipeline;

/**
 * Hears what an {@link InferenceBatcher} does, so that a host (the Spark job's metrics source, a
 * benchmark) can publish batch sizes, latencies and queue depth without the batcher knowing any
 * metrics library. Called on the batcher's own threads: implementations must be quick and
 * thread-safe; an exception they throw is dropped.
 */
public interface BatchListener {
  /** A listener that ignores everything. */
  BatchListener NONE = new BatchListener() {};

  /**
   * A batch went through the model.
   *
   * @param images images in the batch
   * @param forwardNanos time of the forward pass, including resize and padding
   * @param queueWaitNanos time the batch's images spent queued, summed over the images
   * @param queueDepth images still waiting when the batch finished
   */
  default void onBatch(int images, long forwardNanos, long queueWaitNanos, int queueDepth) {}

  /** A batch's detections were pasted, encoded and handed back. */
  default void onPostprocess(int instances, long nanos) {}
}
