package io.sparkseg.job.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.job.TestSpark;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ProgressReporterTest {
  @Test
  void logsDoneTotalRateEtaAndFailuresPeriodically() throws Exception {
    RunMetrics m = new RunMetrics(TestSpark.session().sparkContext());
    m.images.add(25);
    m.failed.add(2);
    List<String> lines = new CopyOnWriteArrayList<>();
    try (ProgressReporter p = new ProgressReporter(m, 100, 0.1, lines::add)) {
      Thread.sleep(450);
      String line = p.line();
      assertTrue(line.matches("progress: 25/100 images \\(25\\.0%\\), [0-9.]+ images/s, ETA \\S+, failures 2"), line);
    }
    assertTrue(lines.size() >= 2, lines.toString());
    assertEquals("59s", ProgressReporter.duration(59));
    assertEquals("2m5s", ProgressReporter.duration(125));
    assertEquals("1h1m", ProgressReporter.duration(3660));
  }

  @Test
  void autoPartitionsScaleWithInputSize() {
    assertEquals(3, SegmentJob.autoPartitions(3, 4));
    assertEquals(4, SegmentJob.autoPartitions(100, 4));
    assertEquals(40, SegmentJob.autoPartitions(10_000, 4));
  }
}
