package io.sparkseg.job.cli.bench;

import io.sparkseg.core.bench.CpuUse;
import java.util.Map;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;

/**
 * CPU use of this JVM (local mode: driver and executor) during the segment job whose description
 * starts with {@code description}: how busy the cores were and the inference threads' share.
 */
final class SegmentStageCpu extends SparkListener {
  private final String description;
  private volatile Integer jobId;
  private volatile CpuUse started;
  private volatile Map<String, Object> result = Map.of();

  SegmentStageCpu(String description) {
    this.description = description;
  }

  @Override
  public void onJobStart(SparkListenerJobStart start) {
    String d = start.properties() == null ? null : start.properties().getProperty("spark.job.description");
    if (jobId == null && d != null && d.startsWith(description)) {
      jobId = start.jobId();
      started = CpuUse.start("sparkseg-inference");
    }
  }

  @Override
  public void onJobEnd(SparkListenerJobEnd end) {
    Integer id = jobId;
    if (id != null && id == end.jobId() && started != null) {
      result = started.sinceStart();
    }
  }

  /** The figures (seconds are as seen by Spark's listener bus, a few ms late at both ends). */
  Map<String, Object> result() {
    return result;
  }
}
