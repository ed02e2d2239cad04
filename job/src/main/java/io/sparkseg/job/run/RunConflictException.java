package io.sparkseg.job.run;

/** The run id names a run of another model or input: refused before any task (exit code 2). */
public final class RunConflictException extends RuntimeException {
  public RunConflictException(String message) {
    super(message);
  }
}
