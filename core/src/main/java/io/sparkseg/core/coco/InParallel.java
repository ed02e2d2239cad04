package io.sparkseg.core.coco;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Maps a list on one thread per core, keeping the order, and rethrows a failed item's own
 * exception (a parallel stream or a fork-join pool may rethrow a copy whose message names the
 * exception class, and the evaluation's bad-input messages must read the same in one process as
 * in Spark tasks). Not for nested use: a task that maps again could wait on itself.
 */
public final class InParallel {
  private static final ExecutorService POOL = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(),
      r -> {
        Thread t = new Thread(r, "sparkseg-in-parallel");
        t.setDaemon(true); // never keeps the JVM alive
        return t;
      });

  private InParallel() {}

  /** {@code f} of each item, in the items' order. */
  public static <A, B> List<B> map(List<A> items, Function<A, B> f) {
    List<Future<B>> futures = new ArrayList<>(items.size());
    for (A a : items) {
      futures.add(POOL.submit(() -> f.apply(a)));
    }
    List<B> out = new ArrayList<>(items.size());
    try {
      for (Future<B> x : futures) {
        out.add(x.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      futures.forEach(x -> x.cancel(true));
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
    return out;
  }
}
