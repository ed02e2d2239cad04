package io.sparkseg.job.cli;

import io.sparkseg.job.metrics.SparksegMetricsPlugin;
import io.sparkseg.job.secrets.Secrets;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets the SparkSession a command runs in. Under spark-submit the master and settings come from
 * it; run as a plain {@code java} program (bin/sparkseg) the master defaults to {@code local[*]}.
 * {@code --conf k=v} pairs are applied to a new session, or, for an already running one (tests,
 * notebooks), set at runtime where Spark allows it; secrets ({@link Secrets#isSecretKey}) are refused
 * there ({@link SharedSessionSecretsException}): that session is shared, and its other users could read
 * them. A new session's secret values are registered for masking ({@link Secrets#register}). A new
 * session always gets sparkseg's metrics plugin ({@link SparksegMetricsPlugin}) in {@code spark.plugins}.
 * A session this class created is stopped by {@link Handle#close()}; one that already existed is left running.
 */
public final class SparkSessions {
  private static final Logger LOG = LoggerFactory.getLogger(SparkSessions.class);

  private SparkSessions() {}

  /** A session and whether we own it. */
  public record Handle(SparkSession spark, boolean created) implements AutoCloseable {
    @Override
    public void close() {
      if (created) {
        spark.stop();
      }
    }
  }

  public static Handle open(String appName, Map<String, String> conf, boolean wantHive) {
    SparkSession existing = SparkSession.getActiveSession().isDefined()
        ? SparkSession.getActiveSession().get()
        : SparkSession.getDefaultSession().isDefined() ? SparkSession.getDefaultSession().get() : null;
    if (existing != null && !existing.sparkContext().isStopped()) {
      List<String> secrets = conf.keySet().stream().filter(Secrets::isSecretKey).toList();
      if (!secrets.isEmpty()) {
        throw new SharedSessionSecretsException(secrets);
      }
      for (Map.Entry<String, String> e : conf.entrySet()) {
        try {
          if (e.getKey().startsWith("spark.hadoop.")) {
            existing.sparkContext().hadoopConfiguration().set(e.getKey().substring("spark.hadoop.".length()), e.getValue());
          } else {
            existing.conf().set(e.getKey(), e.getValue());
          }
        } catch (Exception ex) {
          // static settings (spark.sql.extensions, ...) throw AnalysisException, checked to Java
          LOG.warn("--conf {} cannot be changed in the running Spark session: {}", e.getKey(), ex.getMessage());
        }
      }
      return new Handle(existing, false);
    }
    SparkConf sc = new SparkConf();
    for (scala.Tuple2<String, String> e : sc.getAll()) {
      Secrets.registerIfSecret(e._1(), e._2());
    }
    conf.forEach(Secrets::registerIfSecret);
    SparkSession.Builder b = SparkSession.builder().appName(appName);
    if (!sc.contains("spark.master") && !conf.containsKey("spark.master")) {
      b.master("local[*]");
    }
    for (Map.Entry<String, String> e : conf.entrySet()) {
      b.config(e.getKey(), e.getValue());
    }
    b.config("spark.plugins", withMetricsPlugin(conf.getOrDefault("spark.plugins", sc.get("spark.plugins", ""))));
    if (wantHive && !sc.contains("spark.sql.catalogImplementation")
        && !conf.containsKey("spark.sql.catalogImplementation") && hiveAvailable()) {
      b.enableHiveSupport();
    }
    return new Handle(b.getOrCreate(), true);
  }

  /** {@code plugins} (Spark's comma-separated spark.plugins) with sparkseg's metrics plugin added once. */
  static String withMetricsPlugin(String plugins) {
    String ours = SparksegMetricsPlugin.class.getName();
    if (plugins == null || plugins.isBlank()) {
      return ours;
    }
    for (String p : plugins.split(",")) {
      if (p.trim().equals(ours)) {
        return plugins;
      }
    }
    return plugins + "," + ours;
  }

  static boolean hiveAvailable() {
    try {
      Class.forName("org.apache.spark.sql.hive.HiveSessionStateBuilder", false, SparkSessions.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
