package io.sparkseg.job.executor;

import io.sparkseg.core.model.BundleFetcher;
import io.sparkseg.core.model.FlipTest;
import io.sparkseg.core.model.ModelBundle;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;

/**
 * Which model executors run and how: the bundle's fully qualified URI
 * ({@link io.sparkseg.job.fs.ModelUris}), the local folder remote bundles are cached in, flip
 * test-time augmentation and the device.
 */
public record ModelRef(String uri, String cacheDir, FlipTest flipTest, Device device) implements Serializable {

  /**
   * Fetches and checks the bundle on the driver, so a bad bundle (or a flip setting it cannot
   * switch) fails before any task.
   */
  public ModelBundle validateOnDriver(Configuration conf) {
    ModelBundle bundle = BundleFetcher.fetch(URI.create(uri), conf, Path.of(cacheDir));
    flipTest.input(bundle);
    return bundle;
  }
}
