package io.sparkseg.job.run;

import java.util.Objects;
import java.util.Set;

/**
 * What an attempt does with its run id, from {@code --mode} and the run's stored {@code runs} row:
 * start it, resume it, or (finished, not replaced) compute nothing. A run stored with another model
 * or input is refused unless replaced ({@link RunConflictException}).
 */
public enum RunDecision {
  /** No row yet: a new run. */
  START,
  /** A row whose attempt died (running, failed): continue after its commits. */
  RESUME,
  /** A finished row: recompute nothing, report its stored summary. */
  FINISHED,
  /** --mode replace: compute everything again, publish at the end. */
  REPLACE;

  /** The statuses of a finished run. */
  public static final Set<String> FINISHED_STATUSES = Set.of("succeeded", "failed_fraction_exceeded");

  /** What the runs row says of a run (null fields: not recorded). */
  public record Stored(String status, String modelName, String modelVersion, String modelSha256, String input) {}

  /** What this invocation runs. */
  public record Invocation(String modelName, String modelVersion, String modelSha256, String input) {}

  /**
   * @param stored the run's row, or null when it has none
   * @throws RunConflictException when a run to resume or report was written with another model or input
   */
  public static RunDecision decide(String runId, RunMode mode, Stored stored, Invocation now) {
    if (mode == RunMode.REPLACE) {
      return REPLACE;
    }
    if (stored == null) {
      return START;
    }
    boolean sameModel = Objects.equals(stored.modelSha256(), now.modelSha256());
    boolean sameInput = Objects.equals(stored.input(), now.input());
    if (!sameModel || !sameInput) {
      throw new RunConflictException("run " + runId + " was written "
          + (sameModel ? "" : "with model " + stored.modelName() + " " + stored.modelVersion() + " (sha256 "
              + stored.modelSha256() + ")" + (sameInput ? "" : " "))
          + (sameInput ? "" : "from input " + stored.input())
          + "; this invocation has "
          + (sameModel ? "" : "model " + now.modelName() + " " + now.modelVersion() + " (sha256 " + now.modelSha256()
              + ")" + (sameInput ? "" : " and "))
          + (sameInput ? "" : "input " + now.input())
          + ": use --mode replace to recompute it, or another --run-id");
    }
    return FINISHED_STATUSES.contains(stored.status()) ? FINISHED : RESUME;
  }
}
