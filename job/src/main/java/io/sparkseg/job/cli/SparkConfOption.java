package io.sparkseg.job.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The {@code --conf KEY=VALUE} Spark pass-through that every Spark-running command takes (a picocli mixin). */
public final class SparkConfOption {
  @Option(names = "--conf", paramLabel = "KEY=VALUE", mapFallbackValue = "",
      description = "Spark configuration passed through (repeatable), e.g. --conf spark.master=local[4].")
  Map<String, String> conf = new LinkedHashMap<>();

  /** The pairs given, in order. */
  /**
   * The master a new session from {@link SparkSessions#open} would get: these settings', else
   * spark-submit's (a system property), else local[*]. Touches no Spark class (nor SparkSessions,
   * whose logger starts the logging system), so a command that then runs without Spark
   * (evaluate's in-process engine) loads neither.
   */
  public String master() {
    String m = values().get("spark.master");
    return m != null ? m : System.getProperty("spark.master", "local[*]");
  }

  public Map<String, String> values() {
    return conf;
  }
}
