package io.sparkseg.job.executor;

import io.sparkseg.core.model.BundleFetcher;
import io.sparkseg.core.model.FlipTest;
import io.sparkseg.core.model.ModelBundle;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;

/**
 * Which model executors run and how: the bundle's URI (fully qualified once a Hadoop configuration
 * is known: {@link io.sparkseg.job.fs.ModelUris}), the local folder remote bundles are cached in,
 * the flip test-time augmentation setting as given ({@code auto}, {@code on}, {@code off}) and the device.
 */
public record ModelRef(String uri, String cacheDir, String flipTest, Device device) implements Serializable {

  /** The flip setting (checked by the configuration's validation before a run). */
  public FlipTest flip() {
    return FlipTest.parse(flipTest);
  }

  /**
   * Fetches and checks the bundle on the driver, so a bad bundle (or a flip setting it cannot
   * switch) fails before any task.
   */
  public ModelBundle validateOnDriver(Configuration conf) {
    ModelBundle bundle = BundleFetcher.fetch(URI.create(uri), conf, Path.of(cacheDir));
    flip().input(bundle);
    return bundle;
  }
}
