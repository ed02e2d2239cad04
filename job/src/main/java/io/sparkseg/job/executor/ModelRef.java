package io.sparkseg.job.executor;

import io.sparkseg.core.model.BundleDigest;
import io.sparkseg.core.model.BundleFetcher;
import io.sparkseg.core.model.FlipTest;
import io.sparkseg.core.model.InvalidBundleException;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.ModelBundle;
import io.sparkseg.core.model.Precision;
import io.sparkseg.job.config.SegmentKeys;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;

/**
 * Which model executors run and how: the bundle's URI (fully qualified once a Hadoop configuration
 * is known: {@link io.sparkseg.job.fs.ModelUris}), the local folder remote bundles are cached in
 * (null or blank: {@link BundleFetcher#defaultCacheRoot()} of each host), the flip test-time augmentation
 * setting as given ({@code auto}, {@code on}, {@code off}), the device, the precision as given ({@code fp32},
 * {@code fp16}, {@code bf16}; null: fp32), and the digest of the bundle the driver validated (null until
 * {@link #validateOnDriver}).
 */
public record ModelRef(String uri, String cacheDir, String flipTest, Device device, String precision,
    BundleDigest digest) implements Serializable {

  /** A reference not validated yet, in float32. */
  public ModelRef(String uri, String cacheDir, String flipTest, Device device) {
    this(uri, cacheDir, flipTest, device, SegmentKeys.PRECISION_DEFAULT, null);
  }

  /** A reference not validated yet. */
  public ModelRef(String uri, String cacheDir, String flipTest, Device device, String precision) {
    this(uri, cacheDir, flipTest, device, precision, null);
  }

  /** The same reference to another URI (the canonical one), not validated. */
  public ModelRef withUri(String canonicalUri) {
    return new ModelRef(canonicalUri, cacheDir, flipTest, device, precision);
  }

  /** The flip setting (checked by the configuration's validation before a run). */
  public FlipTest flip() {
    return FlipTest.parse(flipTest);
  }

  /** The precision setting (checked by the configuration's validation before a run). */
  public Precision parsedPrecision() {
    return precision == null ? Precision.FP32 : Precision.parse(precision);
  }

  /** The cache folder on this host. */
  public Path cacheRoot() {
    return cacheDir == null || cacheDir.isBlank() ? BundleFetcher.defaultCacheRoot() : Path.of(cacheDir);
  }

  /** A bundle the driver checked, and the reference executors run it by (carrying its digest). */
  public record Validated(ModelBundle bundle, ModelRef model) {}

  /**
   * Fetches and checks the bundle on the driver, so a bad bundle (or a flip setting it cannot
   * switch, or a precision it has no model file for) fails before any task: model.json and the model file's
   * sha256, then the model file itself, loaded on the CPU and run once on a small image in each call form a run
   * makes ({@link MaskRcnnModel#verify}).
   *
   * @throws InvalidBundleException naming the bundle, the file and the problem
   */
  public Validated validateOnDriver(Configuration conf) {
    ModelBundle bundle = BundleFetcher.fetch(URI.create(uri), conf, cacheRoot());
    try {
      MaskRcnnModel.verify(bundle, flip(), parsedPrecision());
    } catch (InvalidBundleException e) {
      throw new InvalidBundleException("model bundle " + uri + ": " + e.getMessage(), e);
    }
    return new Validated(bundle, new ModelRef(uri, cacheDir, flipTest, device, precision, bundle.digest()));
  }

  /**
   * The bundle the driver validated, on an executor: fetched into (or found in) this host's cache and
   * checked to have the validated digest.
   *
   * @throws InvalidBundleException when the URI now holds another bundle
   */
  public ModelBundle fetchValidated(Configuration conf) {
    if (digest == null) {
      throw new IllegalStateException("model bundle " + uri + " was not validated on the driver (validateOnDriver)");
    }
    return BundleFetcher.fetch(URI.create(uri), conf, cacheRoot(), digest);
  }
}
