package io.sparkseg.job.cli;

import java.util.List;

/**
 * {@code --conf} holds secrets but the command runs in a Spark session that was already running in this JVM
 * (a notebook's, a test's): set there, they would stay readable by the session's other users
 * ({@code spark.conf.get}, {@code SET}, the Hadoop configuration), so they are refused. The message names the keys,
 * never the values.
 */
public final class SharedSessionSecretsException extends IllegalArgumentException {
  public SharedSessionSecretsException(List<String> keys) {
    super("--conf " + String.join(", ", keys) + ": secrets are not set into the Spark session already running in "
        + "this JVM (its other users could read them); give them when that session is created, use a credentials "
        + "provider (e.g. spark.hadoop.fs.s3a.aws.credentials.provider), or run sparkseg in its own process "
        + "(bin/sparkseg, spark-submit)");
  }
}
