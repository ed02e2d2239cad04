package io.sparkseg.job.metrics;

import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Publishes sparkseg's executor figures (images/s, forward latency, batch size, queue depth,
 * post-processing cost, prepare time, statuses) through Spark's metrics system, so any configured
 * sink (JMX, Prometheus servlet, Graphite, CSV...) sees them under the source
 * {@code plugin.io.sparkseg.job.metrics.SparksegMetricsPlugin}. Enable with
 * {@code spark.plugins=io.sparkseg.job.metrics.SparksegMetricsPlugin} (bin/sparkseg and the
 * config file in conf/ do).
 */
public final class SparksegMetricsPlugin implements SparkPlugin {
  @Override
  public DriverPlugin driverPlugin() {
    return null;
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new ExecutorPlugin() {
      @Override
      public void init(PluginContext ctx, Map<String, String> extraConf) {
        ExecutorMetrics.install(ctx.metricRegistry());
      }
    };
  }
}
