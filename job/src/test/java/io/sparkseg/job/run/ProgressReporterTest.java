package io.sparkseg.job.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.job.TestSpark;
import io.sparkseg.job.executor.RunMetrics;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

class ProgressReporterTest {
  /** Holds the test's task open until the test has seen its progress (local mode: same JVM). */
  private static volatile CountDownLatch release;

  @Test
  void logsDoneTotalRateEtaAndFailuresPeriodically() throws Exception {
    SparkContext sc = TestSpark.session().sparkContext();
    RunMetrics m = new RunMetrics(sc);
    m.images.add(25);
    m.failed.add(2);
    List<String> lines = new CopyOnWriteArrayList<>();
    try (ProgressReporter p = new ProgressReporter(sc, m, 100, 0.1, lines::add)) {
      Thread.sleep(450);
      String line = p.line();
      assertTrue(line.matches("progress: 25/100 images \\(25\\.0%\\), [0-9.]+ images/s, ETA \\S+, failures 2"), line);
    }
    assertTrue(lines.size() >= 2, lines.toString());
    assertEquals("59s", ProgressReporter.duration(59));
    assertEquals("2m5s", ProgressReporter.duration(125));
    assertEquals("1h1m", ProgressReporter.duration(3660));
  }

  /**
   * One partition whose task counts 3 images (1 failed), then stays running until released: the
   * progress line must show them while the task runs (from heartbeats, every second in
   * TestSpark), then its final 10 images exactly once after it ends (of 20, so that a partial
   * left behind would show).
   */
  @Test
  void showsRunningTasksProgressBeforeTheyEnd() throws Exception {
    SparkContext sc = TestSpark.session().sparkContext();
    RunMetrics m = new RunMetrics(sc);
    release = new CountDownLatch(1);
    List<String> lines = new CopyOnWriteArrayList<>();
    try (ProgressReporter p = new ProgressReporter(sc, m, 20, 0.2, lines::add)) {
      CompletableFuture<Void> job = CompletableFuture.runAsync(() ->
          new JavaSparkContext(sc).parallelize(List.of(1), 1).foreachPartition(it -> {
            for (int i = 0; i < 3; i++) {
              m.images.add(1);
              Thread.sleep(100);
            }
            m.failed.add(1);
            release.await(60, TimeUnit.SECONDS);
            m.images.add(7);
          }));
      try {
        // the line the reporter logs, not just one computed on demand
        String running = await(() -> lines.isEmpty() ? "" : lines.get(lines.size() - 1),
            l -> l.startsWith("progress: 3/20 images (15.0%)") && l.endsWith("failures 1"));
        assertFalse(job.isDone(), "the task was still running");
        assertEquals(0, m.images.value(), "nothing reached the accumulator itself yet");
        assertTrue(running.matches("progress: 3/20 images \\(15\\.0%\\), [0-9.]+ images/s, ETA \\S+, failures 1"),
            running);
      } finally {
        release.countDown();
      }
      job.get(60, TimeUnit.SECONDS);
      // the ended task's partials are dropped: its value now comes from the accumulator, once
      await(p::line, l -> l.startsWith("progress: 10/20 images (50.0%)") && l.endsWith("failures 1"));
      assertEquals(10, m.images.value());
    }
  }

  @Test
  void autoPartitionsScaleWithInputSize() {
    assertEquals(3, SegmentJob.autoPartitions(3, 4));
    assertEquals(4, SegmentJob.autoPartitions(100, 4));
    assertEquals(40, SegmentJob.autoPartitions(10_000, 4));
  }

  /** Polls {@code line} until {@code ok} holds (at most 30 s) and returns the matching line. */
  private static String await(Supplier<String> line, Predicate<String> ok)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String last = line.get();
    while (!ok.test(last)) {
      assertTrue(System.nanoTime() < deadline, "progress line never matched; last: " + last);
      Thread.sleep(50);
      last = line.get();
    }
    return last;
  }
}
