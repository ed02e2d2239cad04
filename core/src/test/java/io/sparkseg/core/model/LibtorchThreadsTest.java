package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LibtorchThreadsTest {
  private static int seenByANewThread() throws InterruptedException {
    AtomicInteger seen = new AtomicInteger();
    Thread t = new Thread(() -> seen.set(LibtorchThreads.current()));
    t.start();
    t.join();
    return seen.get();
  }

  @Test
  void threadsStartingAfterASetUseTheNewCount() throws Exception {
    int before = seenByANewThread();
    try {
      LibtorchThreads.set(1);
      assertEquals(1, seenByANewThread());
      LibtorchThreads.set(2);
      assertEquals(2, seenByANewThread());
    } finally {
      LibtorchThreads.set(before);
    }
  }

  @Test
  void zeroIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> LibtorchThreads.set(0));
  }
}
