package io.sparkseg.job.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.sparkseg.compat.ScalaApi;
import io.sparkseg.job.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.metrics.source.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A segment run on a session with the plugin publishes sparkseg's executor figures in Spark's
 * metrics system (the registry every configured sink reads), and they show batches formed across
 * concurrent tasks.
 */
class SparksegMetricsPluginTest {
  @TempDir
  Path tmp;

  @Test
  void aRunPublishesThroughputBatchAndQueueFiguresInSparksMetricsSystem() throws Exception {
    TestSpark.requireModel();
    TestSpark.session();
    List<Source> sources = ScalaApi.asJava(
        SparkEnv.get().metricsSystem().getSourcesByName("plugin." + SparksegMetricsPlugin.class.getName()));
    assertFalse(sources.isEmpty(), "the plugin's source is registered with Spark's metrics system");
    MetricRegistry r = sources.get(0).metricRegistry();
    long images0 = r.meter("images").getCount();
    long batches0 = r.histogram("batchSize").getCount();
    long ok0 = r.counter("imagesOk").getCount();
    long failed0 = r.counter("imagesFailed").getCount();
    long prepared0 = r.timer("prepareTime").getCount();

    Path in = tmp.resolve("in");
    Files.createDirectories(in);
    // one sample image under 8 names: images share a batch only when they pad to the same canvas
    Path sample = TestSpark.sampleImages(1).get(0);
    for (int i = 0; i < 8; i++) {
      Files.copy(sample, in.resolve("img" + i + ".jpg"));
    }
    Files.write(in.resolve("broken.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3});
    TestSpark.CliResult res = TestSpark.cli("segment", "--input", in.toString(), "--output", tmp.resolve("out").toString(),
        "--model", TestSpark.modelDir().toString(), "--run-id", "metrics", "--partitions", "4", "--batch-size", "4",
        "--max-batch-wait-ms", "500", "--progress-interval", "0");
    assertEquals(0, res.exitCode(), res.err());

    long images = r.meter("images").getCount() - images0;
    long batches = r.histogram("batchSize").getCount() - batches0;
    assertEquals(8, images, "every decodable image went through the model once");
    assertEquals(8, r.counter("imagesOk").getCount() - ok0);
    assertEquals(1, r.counter("imagesFailed").getCount() - failed0, "the broken file is counted as failed");
    assertEquals(9, r.timer("prepareTime").getCount() - prepared0, "every file was read and decoded (or refused)");
    assertTrue(batches >= 2 && batches < images,
        "4 concurrent tasks of 2-3 images each shared batches of up to 4: " + batches + " batches for " + images);
    assertTrue(r.timer("forwardTime").getSnapshot().getMax() > 0);
    assertTrue(r.timer("postprocessTime").getCount() >= batches);
    assertTrue(r.counter("instances").getCount() > 0);
    assertTrue(r.getGauges().get("queueDepth") instanceof Gauge<?> g && ((Number) g.getValue()).intValue() >= 0);
  }
}
