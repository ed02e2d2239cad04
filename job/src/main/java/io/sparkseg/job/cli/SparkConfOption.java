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
  public Map<String, String> values() {
    return conf;
  }
}
