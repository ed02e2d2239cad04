package io.sparkseg.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Items are {@code canvas * 100 + n}: the canvas is the hundreds. */
class CanvasBatchQueueTest {
  private static CanvasBatchQueue<Integer> queue(int maxBatch, long waitMs, int capacity) {
    return new CanvasBatchQueue<>(maxBatch, Duration.ofMillis(waitMs), capacity, i -> i / 100);
  }

  private static final Duration IDLE = Duration.ofMillis(10);

  /** Puts {@code item} from another thread 50 ms from now. */
  private static void putLater(CanvasBatchQueue<Integer> q, int item) {
    CompletableFuture.runAsync(() -> {
      try {
        Thread.sleep(50);
        q.put(item);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  @Test
  void batchesTheOldestItemWithLaterOnesOfItsCanvasInArrivalOrder() throws Exception {
    CanvasBatchQueue<Integer> q = queue(3, 0, 8);
    for (int i : new int[] {101, 201, 102, 301, 103, 104, 202}) {
      q.put(i);
    }
    assertEquals(List.of(101, 102, 103), q.next(IDLE));
    assertEquals(List.of(201, 202), q.next(IDLE));
    assertEquals(List.of(301), q.next(IDLE));
    assertEquals(List.of(104), q.next(IDLE));
    assertTrue(q.isEmpty());
    assertEquals(List.of(), q.next(IDLE), "nothing queued: an empty batch after the idle time");
  }

  @Test
  void itemsSetAsideByOneConsumerAreTakenByTheNext() throws Exception {
    CanvasBatchQueue<Integer> q = queue(4, 5_000, 8);
    for (int i : new int[] {101, 201, 301, 401}) {
      q.put(i);
    }
    assertEquals(List.of(101), q.next(IDLE), "others are waiting, so no wait for a partner");
    assertEquals(0, q.queued(), "the rest were taken off the queue");
    // another consumer thread finds them at once, though the queue itself is empty
    List<Integer> second = CompletableFuture.supplyAsync(() -> {
      try {
        return q.next(IDLE);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }).get(2, TimeUnit.SECONDS);
    assertEquals(List.of(201), second);
  }

  @Test
  void waitsForAPartnerOnlyWhileNothingElseIsReady() throws Exception {
    CanvasBatchQueue<Integer> q = queue(2, 2_000, 4);
    q.put(101);
    putLater(q, 102);
    assertEquals(List.of(101, 102), q.next(IDLE), "a partner arriving within the wait joins the batch");

    q.put(101);
    putLater(q, 201);
    long t0 = System.nanoTime();
    assertEquals(List.of(101), q.next(IDLE), "another canvas arriving ends the wait");
    assertTrue(System.nanoTime() - t0 < 1_500_000_000L);
    assertEquals(List.of(201), q.drainAll());
  }

  @Test
  void itemsHandedBackRunAloneFirstAndBeyondTheCapacity() throws Exception {
    CanvasBatchQueue<Integer> q = queue(2, 5_000, 2);
    q.put(101);
    q.put(102);
    q.retryAlone(103);
    q.retryAlone(104);
    assertEquals(List.of(103), q.next(IDLE), "a retry is a batch of one, without waiting for partners");
    assertEquals(List.of(104), q.next(IDLE));
    assertEquals(List.of(101, 102), q.next(IDLE));
    q.retryAlone(105);
    assertEquals(List.of(105), q.drainAll());
    assertTrue(q.isEmpty());
  }

  @Test
  void rejectsInconsistentLimits() {
    assertThrows(IllegalArgumentException.class, () -> queue(0, 0, 4));
    assertThrows(IllegalArgumentException.class, () -> queue(4, 0, 2));
  }
}
