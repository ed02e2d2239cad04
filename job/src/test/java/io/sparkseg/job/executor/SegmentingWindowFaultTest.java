package io.sparkseg.job.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.model.FlatImages;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.ModelBundle;
import io.sparkseg.core.model.PredictOptions;
import io.sparkseg.core.pipeline.InferenceBatcher;
import io.sparkseg.core.result.ImageStatus;
import io.sparkseg.job.TestSpark;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Faults under the task-side window, injected by wrapping the real model's forward call (or, for
 * decoding, by an ImageIO plugin): an Error fails the task (no rows, no hang) and leaves a working pipeline, an interrupt stops the window
 * at once, and a failed batch is retried on the inference threads so that only the image that
 * fails alone gets {@code inference_error}.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SegmentingWindowFaultTest {
  private static MaskRcnnModel model;
  private static byte[] jpeg;
  private static PredictOptions options;

  /** One forward call: the thread it ran on, its batch size, whether it held the poisoned image. */
  private record Call(String thread, int size, boolean poisoned) {}

  @BeforeAll
  static void load() throws Exception {
    model = MaskRcnnModel.load(ModelBundle.load(TestSpark.modelDir()), "cpu");
    jpeg = Files.readAllBytes(TestSpark.sampleImages(1).get(0));
    options = SegmentingWindow.options(model, null, null);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  private static SegmentingWindow<String> window(List<String> items, ExecutorPipeline pipeline, byte[] poison) {
    return new SegmentingWindow<>(items.iterator(), item -> ImageBytes.Read.of(item.equals("poison") ? poison : jpeg),
        model, pipeline, options, 100_000_000L, 4);
  }

  private static List<SegmentingWindow.Segmented<String>> drain(SegmentingWindow<String> w) {
    List<SegmentingWindow.Segmented<String>> out = new ArrayList<>();
    while (w.hasNext()) {
      out.add(w.next());
    }
    return out;
  }

  /** Drains {@code w} into {@code rows} until it fails the task, as it must. */
  private static IllegalStateException drainFailing(SegmentingWindow<String> w,
      List<SegmentingWindow.Segmented<String>> rows, String why) {
    return assertThrows(IllegalStateException.class, () -> {
      while (w.hasNext()) {
        rows.add(w.next());
      }
    }, why);
  }

  @Test
  void anErrorInTheModelFailsTheTaskWithoutRowsAndTheNextTaskRuns() {
    List<String> threads = new CopyOnWriteArrayList<>();
    AtomicInteger n = new AtomicInteger();
    InferenceBatcher.Forward errorOnce = (batch, minScore) -> {
      threads.add(Thread.currentThread().getName() + "@" + System.identityHashCode(Thread.currentThread()));
      if (n.getAndIncrement() == 0) {
        throw new StackOverflowError("injected");
      }
      return model.infer(batch, minScore);
    };
    ExecutorPipeline pipeline = ExecutorPipeline.unshared(model, errorOnce, new PipelineSettings(4, 2_000, 4, 2, 1, 1, 0));
    try {
      List<SegmentingWindow.Segmented<String>> rows = new ArrayList<>();
      IllegalStateException e = drainFailing(window(List.of("ok", "ok", "ok", "ok"), pipeline, null), rows,
          "a resource failure fails the task");
      assertInstanceOf(StackOverflowError.class, e.getCause(), e.toString());
      assertTrue(rows.stream().noneMatch(s -> s.outcome().status() == ImageStatus.INFERENCE_ERROR),
          "no permanent inference_error row for a resource failure: " + rows);

      // the executor goes on: the next task's images run on a fresh inference thread
      List<SegmentingWindow.Segmented<String>> next = drain(window(List.of("ok", "ok"), pipeline, null));
      assertEquals(2, next.size());
      next.forEach(s -> assertEquals(ImageStatus.OK, s.outcome().status(), s.outcome().toString()));
      assertEquals(1, pipeline.batcher().inferenceThreads());
      assertTrue(!threads.get(threads.size() - 1).equals(threads.get(0)), "the inference thread was replaced: " + threads);
    } finally {
      pipeline.close();
    }
  }

  @Test
  void anOutOfMemoryErrorDecodingFailsTheTaskAndIsNotADecodeError() throws Exception {
    ExecutorPipeline pipeline = ExecutorPipeline.unshared(model, model::infer, new PipelineSettings(1, 0, 4, 2, 1, 1, 0));
    try (AutoCloseable plugin = OutOfMemoryImageReader.register()) {
      List<SegmentingWindow.Segmented<String>> rows = new ArrayList<>();
      IllegalStateException e = drainFailing(window(List.of("ok", "poison", "ok"), pipeline,
          OutOfMemoryImageReader.MAGIC), rows, "the task fails: on a bigger executor the image may decode");
      assertInstanceOf(OutOfMemoryError.class, e.getCause(), e.toString());
      assertTrue(e.getMessage().contains("out of resources"), e.getMessage());
      assertTrue(rows.stream().noneMatch(s -> s.item().equals("poison")),
          "no row, so no permanent decode_error, for the image the machine could not decode: " + rows);

      // the prepare threads go on: the next task decodes and segments
      List<SegmentingWindow.Segmented<String>> next = drain(window(List.of("ok", "ok"), pipeline, null));
      next.forEach(s -> assertEquals(ImageStatus.OK, s.outcome().status(), s.outcome().toString()));
    } finally {
      pipeline.close();
    }
  }

  @Test
  void anInterruptedTaskThreadStopsAtOnceKeepingTheInterrupt() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    InferenceBatcher.Forward stuck = (batch, minScore) -> {
      calls.incrementAndGet();
      try {
        release.await(120, TimeUnit.SECONDS); // a forward pass that takes "forever"
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return model.infer(batch, minScore);
    };
    // batches of one: the first image is stuck in the model, the rest wait in the queue
    ExecutorPipeline pipeline = ExecutorPipeline.unshared(model, stuck, new PipelineSettings(1, 0, 4, 2, 1, 1, 0));
    try {
      SegmentingWindow<String> w = window(List.of("ok", "ok", "ok", "ok", "ok", "ok"), pipeline, null);
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      AtomicReference<Boolean> flagKept = new AtomicReference<>();
      Thread task = new Thread(() -> {
        try {
          drain(w);
        } catch (Throwable t) {
          thrown.set(t);
        }
        flagKept.set(Thread.currentThread().isInterrupted());
      }, "task");
      task.start();
      while (calls.get() == 0) {
        Thread.sleep(20);
      }
      long t0 = System.nanoTime();
      task.interrupt();
      task.join(5_000);
      assertTrue(!task.isAlive(), "the window gave way to the interrupt within seconds");
      assertTrue((System.nanoTime() - t0) / 1e9 < 5);
      assertInstanceOf(CancellationException.class, thrown.get());
      assertInstanceOf(InterruptedException.class, thrown.get().getCause());
      assertEquals(Boolean.TRUE, flagKept.get(), "the interrupt flag is kept for Spark to see");

      release.countDown();
      Thread.sleep(1_000);
      // the dropped images are cancelled, not run; on a loaded machine one image already handed to the
      // batcher has been seen to run once after the interrupt (a race not yet found), never the rest
      assertTrue(calls.get() <= 2, "the dropped images queued behind the stuck one ran: " + calls.get() + " calls");
    } finally {
      release.countDown();
      pipeline.close();
    }
  }

  @Test
  void aFailedBatchIsRetriedOnTheInferenceThreadsAndOnlyTheBadImageFails() throws Exception {
    // the poisoned image: the sample's size (so it shares the others' canvas and batch), one colour
    RgbImage sample = new io.sparkseg.core.image.ImageDecoder().decode(jpeg).image();
    BufferedImage flat = new BufferedImage(sample.width(), sample.height(), BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < sample.height(); y++) {
      for (int x = 0; x < sample.width(); x++) {
        flat.setRGB(x, y, 0x010203);
      }
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(flat, "png", png);
    List<Call> calls = new CopyOnWriteArrayList<>();
    InferenceBatcher.Forward failsOnPoison = (batch, minScore) -> {
      boolean poisoned = false;
      for (int i = 0; i < batch.size(); i++) {
        poisoned |= FlatImages.holds(batch, i, 1, 2, 3);
      }
      calls.add(new Call(Thread.currentThread().getName(), batch.size(), poisoned));
      if (poisoned) {
        throw new IllegalArgumentException("injected: this image breaks the model");
      }
      return model.infer(batch, minScore);
    };
    int expected = model.predict(List.of(sample), options).get(0).instances().size();
    ExecutorPipeline pipeline =
        ExecutorPipeline.unshared(model, failsOnPoison, new PipelineSettings(4, 5_000, 4, 4, 1, 1, 0));
    try {
      List<SegmentingWindow.Segmented<String>> out =
          drain(window(List.of("ok", "poison", "ok", "ok"), pipeline, png.toByteArray()));
      assertEquals(4, out.size());
      for (int i : new int[] {0, 2, 3}) {
        assertEquals(ImageStatus.OK, out.get(i).outcome().status(), out.get(i).outcome().toString());
        assertEquals(expected, out.get(i).outcome().instances().size());
      }
      ImageOutcome bad = out.get(1).outcome();
      assertEquals(ImageStatus.INFERENCE_ERROR, bad.status());
      assertTrue(bad.error().contains("this image breaks the model"), bad.error());
      assertEquals(sample.width(), bad.width());
      assertNull(bad.inferenceMs());

      assertTrue(calls.get(0).size() > 1 && calls.get(0).poisoned(), "the poisoned image failed a batch: " + calls);
      List<Call> retries = calls.subList(1, calls.size());
      assertEquals(calls.get(0).size(), retries.size(), "each image of the failed batch ran again once: " + calls);
      for (Call c : retries) {
        assertEquals(1, c.size(), "retries are batches of one");
        assertTrue(c.thread().startsWith("sparkseg-inference-"), "retries run on the inference threads: " + c.thread());
      }
      assertNotNull(retries.stream().filter(Call::poisoned).findFirst().orElse(null));
    } finally {
      pipeline.close();
    }
  }
}
