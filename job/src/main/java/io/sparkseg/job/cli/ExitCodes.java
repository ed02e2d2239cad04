package io.sparkseg.job.cli;

/** Process exit codes of the {@code sparkseg} commands. */
public final class ExitCodes {
  /** The run succeeded. */
  public static final int OK = 0;
  /** The job failed at run time (a Spark job failure, an unexpected error). */
  public static final int FAILED = 1;
  /** Bad options, unusable input or an invalid model bundle: detected before any task ran. */
  public static final int USAGE = 2;
  /** The run finished and wrote its output, but more than --max-failed-fraction of the images failed. */
  public static final int TOO_MANY_FAILED = 3;

  private ExitCodes() {}
}
