package io.sparkseg.job.executor;

import io.sparkseg.core.model.EngineDevice;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.ModelBundle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link MaskRcnnModel} per executor JVM per (bundle URI and validated digest, device, flip setting, precision), shared by
 * all task threads and loaded lazily by the first task that needs it; the others wait for that load instead of
 * starting their own. The bundle comes from the host's cache, or is copied there from its URI once, and must have
 * the digest the driver validated ({@link ModelRef#fetchValidated}). {@link #loadCount()} counts the loads this JVM
 * has performed.
 */
public final class ModelHolder {
  private static final Logger LOG = LoggerFactory.getLogger(ModelHolder.class);
  private static final Map<String, MaskRcnnModel> MODELS = new ConcurrentHashMap<>();
  private static final Map<String, Object> LOCKS = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> LOADS_BY_KEY = new ConcurrentHashMap<>();
  private static final AtomicInteger LOADS = new AtomicInteger();

  private ModelHolder() {}

  /** A model from the holder; {@code loadMs >= 0} when this call loaded it, -1 when it was already loaded. */
  public record Lease(MaskRcnnModel model, long loadMs) {
    public boolean loadedNow() {
      return loadMs >= 0;
    }
  }

  /** The model of {@code ref} on {@code device}, loading it on first use. */
  public static Lease get(ModelRef ref, String device, Configuration conf) {
    String key = key(ref, device);
    MaskRcnnModel m = MODELS.get(key);
    if (m != null) {
      return new Lease(m, -1);
    }
    synchronized (LOCKS.computeIfAbsent(key, k -> new Object())) {
      m = MODELS.get(key);
      if (m != null) {
        return new Lease(m, -1);
      }
      long t0 = System.nanoTime();
      ModelBundle bundle = ref.fetchValidated(conf);
      MaskRcnnModel loaded = MaskRcnnModel.load(bundle, device, ref.flip(), ref.parsedPrecision());
      long ms = (System.nanoTime() - t0) / 1_000_000;
      MODELS.put(key, loaded);
      LOADS.incrementAndGet();
      LOADS_BY_KEY.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      LOG.info("loaded model {} {} (sha256 {}) from {} on {} in {} (flip test {}) in {} ms", bundle.name(),
          bundle.version(), bundle.sha256(), ref.uri(), EngineDevice.name(loaded.device()), loaded.precision().id(),
          loaded.flips() ? "on" : "off", ms);
      return new Lease(loaded, ms);
    }
  }

  /** Number of model loads performed by this JVM (all bundles and devices). */
  public static int loadCount() {
    return LOADS.get();
  }

  /** Number of loads of one bundle on one device with one flip setting in this JVM (1 once loaded, never more). */
  public static int loadCount(ModelRef ref, String device) {
    AtomicInteger n = LOADS_BY_KEY.get(key(ref, device));
    return n == null ? 0 : n.get();
  }

  /** What tells one loaded model from another; also the key of its {@link ExecutorPipeline}. */
  public static String key(ModelRef ref, String device) {
    if (ref.digest() == null) {
      throw new IllegalStateException("model bundle " + ref.uri() + " was not validated on the driver");
    }
    return ref.uri() + "|" + ref.digest().descriptorSha256() + "|" + device + "|flip-"
        + ref.flip().name().toLowerCase(java.util.Locale.ROOT) + "|" + ref.parsedPrecision().id();
  }
}
