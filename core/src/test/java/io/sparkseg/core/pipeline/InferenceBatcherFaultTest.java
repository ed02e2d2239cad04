package io.sparkseg.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.model.FlatImages;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.ModelBundle;
import io.sparkseg.core.model.PredictOptions;
import io.sparkseg.core.testing.RepoRoot;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Faults in the forward pass, injected by wrapping the real model's call: every future completes,
 * a broken inference thread is replaced, a failed batch is retried image by image on the inference
 * threads, and resource failures are not retried.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class InferenceBatcherFaultTest {
  private static MaskRcnnModel model;
  private static RgbImage sample;
  private static final PredictOptions OPTIONS = new PredictOptions(0.3f, 0.5f);

  /** One forward call: the thread it ran on, its batch size, whether it held the poisoned image. */
  private record Call(Thread thread, int size, boolean poisoned) {}

  @BeforeAll
  static void load() throws Exception {
    model = MaskRcnnModel.load(ModelBundle.load(RepoRoot.path().resolve("samples/model")), "cpu");
    sample = new ImageDecoder().decode(Files.readAllBytes(RepoRoot.path().resolve("samples/images/val_000000.jpg")))
        .image();
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void anErrorInAForwardPassFailsItsImagesAndTheInferenceThreadIsReplaced() throws Exception {
    List<Call> calls = new CopyOnWriteArrayList<>();
    AtomicInteger n = new AtomicInteger();
    InferenceBatcher.Forward oomOnce = (batch, minScore) -> {
      calls.add(new Call(Thread.currentThread(), batch.size(), false));
      if (n.getAndIncrement() == 0) {
        throw new OutOfMemoryError("injected: Java heap space");
      }
      return model.infer(batch, minScore);
    };
    try (InferenceBatcher batcher = new InferenceBatcher(model, oomOnce, 1, Duration.ZERO, 4, 1, 1, BatchListener.NONE)) {
      CompletableFuture<InferenceBatcher.Output> first = batcher.submit(sample, OPTIONS);
      ExecutionException e = assertThrows(ExecutionException.class, () -> first.get(60, TimeUnit.SECONDS),
          "the image whose forward pass threw an Error completes (exceptionally), it does not hang");
      assertInstanceOf(OutOfMemoryError.class, e.getCause());
      Thread broken = calls.get(0).thread();
      broken.join(10_000);
      assertFalse(broken.isAlive(), "the thread that met the Error ended");

      InferenceBatcher.Output later = batcher.submit(sample, OPTIONS).get(60, TimeUnit.SECONDS);
      assertEquals(model.predict(List.of(sample), OPTIONS).get(0).instances().size(), later.result().instances().size());
      assertTrue(later.result().instances().size() > 0);
      Thread successor = calls.get(1).thread();
      assertNotSame(broken, successor, "a fresh inference thread ran the later image");
      assertEquals(broken.getName(), successor.getName());
      assertEquals(1, batcher.inferenceThreads(), "the batcher keeps its configured number of inference threads");
    }
  }

  @Test
  void aFailedBatchIsRetriedImageByImageOnTheInferenceThreads() throws Exception {
    // one colour at the sample's size: same canvas, so it batches with the others
    RgbImage poison = FlatImages.of(sample.width(), sample.height(), 1, 2, 3);
    List<Call> calls = new CopyOnWriteArrayList<>();
    InferenceBatcher.Forward failsOnPoison = (batch, minScore) -> {
      boolean poisoned = false;
      for (int i = 0; i < batch.size(); i++) {
        poisoned |= FlatImages.holds(batch, i, 1, 2, 3);
      }
      calls.add(new Call(Thread.currentThread(), batch.size(), poisoned));
      if (poisoned) {
        throw new IllegalArgumentException("injected: this image breaks the model");
      }
      return model.infer(batch, minScore);
    };
    int expected = model.predict(List.of(sample), OPTIONS).get(0).instances().size();
    try (InferenceBatcher batcher =
        new InferenceBatcher(model, failsOnPoison, 4, Duration.ofSeconds(5), 8, 1, 2, BatchListener.NONE)) {
      List<CompletableFuture<InferenceBatcher.Output>> futures = new ArrayList<>();
      for (RgbImage img : List.of(sample, poison, sample, sample)) {
        futures.add(batcher.submit(img, OPTIONS));
      }
      for (int i : new int[] {0, 2, 3}) {
        InferenceBatcher.Output out = futures.get(i).get(60, TimeUnit.SECONDS);
        assertEquals(1, out.batchSize(), "image " + i + " was run again alone");
        assertEquals(expected, out.result().instances().size(), "image " + i);
      }
      ExecutionException e = assertThrows(ExecutionException.class, () -> futures.get(1).get(60, TimeUnit.SECONDS));
      assertInstanceOf(ImageInferenceException.class, e.getCause(), "the image that fails alone failed for itself");
      assertTrue(e.getCause().getMessage().contains("this image breaks the model"), e.getCause().getMessage());

      assertEquals(new Call(calls.get(0).thread(), 4, true), calls.get(0), "first the whole batch, which fails");
      assertEquals(5, calls.size(), "then each image once, alone: " + calls);
      for (Call c : calls.subList(1, 5)) {
        assertEquals(1, c.size());
        assertTrue(c.thread().getName().startsWith("sparkseg-inference-"),
            "retries run on the inference threads, not the caller's: " + c.thread().getName());
      }
      assertEquals(1, calls.stream().filter(c -> c.size() == 1 && c.poisoned()).count());
    }
  }

  @Test
  void aResourceFailureIsNotRetriedAndIsNotTheImagesFault() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    InferenceBatcher.Forward engineOom = (batch, minScore) -> {
      calls.incrementAndGet();
      throw new IllegalStateException("inference failed: EngineException: CUDA out of memory. Tried to allocate 2 GiB");
    };
    try (InferenceBatcher batcher = new InferenceBatcher(model, engineOom, 2, Duration.ofSeconds(5), 4, 1, 1,
        BatchListener.NONE)) {
      CompletableFuture<InferenceBatcher.Output> a = batcher.submit(sample, OPTIONS);
      CompletableFuture<InferenceBatcher.Output> b = batcher.submit(sample, OPTIONS);
      for (CompletableFuture<InferenceBatcher.Output> f : List.of(a, b)) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, e.getCause(), "the engine's failure itself, not an image's");
      }
      assertEquals(1, calls.get(), "an out-of-memory batch is not run again here (the task is retried instead)");
    }
    assertTrue(ResourceFailure.is(new StackOverflowError()));
    assertTrue(ResourceFailure.is(new RuntimeException(new OutOfMemoryError())));
    assertFalse(ResourceFailure.is(new IllegalArgumentException("boxes must be finite")));
  }
}
