package io.sparkseg.job.run;

import java.time.Duration;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/** A second JVM for {@link RunLockTest}: takes a run's lock, says so, and holds it until killed. */
public final class RunLockHolderMain {
  private RunLockHolderMain() {}

  public static void main(String[] args) throws Exception {
    RunLock lock = RunLock.acquire(new Configuration(), new Path(args[0]),
        RunLock.Holder.current(args[1], args[2], "app-" + args[2]), Duration.ofSeconds(60), Duration.ofMillis(200));
    System.out.println("HELD " + lock.holder().pid());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
