package io.sparkseg.job.output;

import java.util.regex.Pattern;

/**
 * Where a run's output goes under the {@code --output} root: {@code <root>/instances/run_id=<id>/}
 * and {@code <root>/images/run_id=<id>/} (Parquet), and the run summary at
 * {@code <root>/_summary/<id>.json} (ignored by Spark readers of the tables).
 */
public record OutputLayout(String root) {
  private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  public OutputLayout {
    while (root.length() > 1 && root.endsWith("/")) {
      root = root.substring(0, root.length() - 1);
    }
  }

  public String instances() {
    return root + "/instances";
  }

  public String images() {
    return root + "/images";
  }

  public String summary(String runId) {
    return root + "/_summary/" + runId + ".json";
  }

  /** Whether a run id is usable as a partition value and file name: [A-Za-z0-9][A-Za-z0-9._-]*, at most 128 chars. */
  public static boolean validRunId(String runId) {
    return runId != null && RUN_ID.matcher(runId).matches();
  }
}
