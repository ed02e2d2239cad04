package io.sparkseg.job.run;

/** Another live attempt holds the run: this one must not write (exit code 2, nothing ran). */
public final class RunLockedException extends RuntimeException {
  private final transient RunLock.Holder holder;

  public RunLockedException(RunLock.Holder holder, String lockFile) {
    super("run " + holder.runId() + " is being written by attempt " + holder.attempt()
        + " (host " + orUnknown(holder.host()) + ", pid " + (holder.pid() > 0 ? holder.pid() : "unknown")
        + ", application " + orUnknown(holder.appId()) + ", last seen " + orUnknown(holder.heartbeatAt())
        + "); wait for it or kill it (lock: " + lockFile + ")");
    this.holder = holder;
  }

  public RunLock.Holder holder() {
    return holder;
  }

  private static String orUnknown(Object v) {
    return v == null ? "unknown" : v.toString();
  }
}
