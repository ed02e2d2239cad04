package io.sparkseg.core.pipeline;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToLongFunction;

/**
 * The batch forming behind {@link InferenceBatcher}: a bounded queue of items (images), taken out
 * as batches of at most {@code maxBatch} items of one canvas, oldest first. When the oldest item
 * has no partner yet and nothing else is waiting, {@link #next} waits up to {@code maxWait} for
 * one. Items taken off the queue but left for a later batch (another canvas) stay in one set that
 * every consumer thread sees, so no inference thread idles while another holds work aside. Items
 * handed back with {@link #retryAlone} come out first, each as a batch of its own.
 *
 * @param <T> the queued item
 */
final class CanvasBatchQueue<T> {
  private final int maxBatch;
  private final int capacity;
  private final long maxWaitNanos;
  private final ToLongFunction<T> canvas;
  private final BlockingQueue<T> queue;
  // taken off the queue, not yet in a batch; guarded by forming
  private final ArrayDeque<T> pending = new ArrayDeque<>();
  private final ReentrantLock forming = new ReentrantLock();
  // taken off the queue once already, so outside the capacity (putting them back must never block)
  private final ConcurrentLinkedQueue<T> alone = new ConcurrentLinkedQueue<>();

  CanvasBatchQueue(int maxBatch, Duration maxWait, int capacity, ToLongFunction<T> canvas) {
    if (maxBatch < 1 || capacity < maxBatch) {
      throw new IllegalArgumentException("need maxBatch >= 1 and capacity >= maxBatch, got " + maxBatch + ", " + capacity);
    }
    this.maxBatch = maxBatch;
    this.capacity = capacity;
    this.maxWaitNanos = maxWait.toNanos();
    this.canvas = canvas;
    this.queue = new ArrayBlockingQueue<>(capacity);
  }

  /** Adds an item; blocks while {@code capacity} items are queued. */
  void put(T item) throws InterruptedException {
    queue.put(item);
  }

  /**
   * Hands back an item of a batch that failed, to run again as a batch of one, before anything
   * queued: its own outcome then no longer depends on its partners. Never blocks.
   */
  void retryAlone(T item) {
    alone.add(item);
  }

  /** Items queued and not yet taken by a consumer. */
  int queued() {
    return queue.size();
  }

  /** Whether nothing is queued or set aside. */
  boolean isEmpty() {
    forming.lock();
    try {
      return queue.isEmpty() && pending.isEmpty() && alone.isEmpty();
    } finally {
      forming.unlock();
    }
  }

  /**
   * The next batch: an item handed back by {@link #retryAlone}, alone, or else the oldest item and up to {@code maxBatch - 1} others of its canvas, in
   * arrival order; empty when nothing arrived within {@code idle}. One consumer forms a batch at a
   * time (the others wait for it: there is nothing else for them to take meanwhile).
   */
  List<T> next(Duration idle) throws InterruptedException {
    T retry = alone.poll();
    if (retry != null) {
      return List.of(retry);
    }
    forming.lockInterruptibly();
    try {
      if (pending.isEmpty()) {
        T first = queue.poll(idle.toNanos(), TimeUnit.NANOSECONDS);
        if (first == null) {
          return List.of();
        }
        pending.add(first);
      }
      // holds at most capacity items aside, so memory stays bounded by twice the queue
      queue.drainTo(pending, Math.max(0, capacity - pending.size()));
      List<T> batch = new ArrayList<>(maxBatch);
      long key = canvas.applyAsLong(pending.peekFirst());
      for (Iterator<T> it = pending.iterator(); it.hasNext() && batch.size() < maxBatch; ) {
        T item = it.next();
        if (canvas.applyAsLong(item) == key) {
          batch.add(item);
          it.remove();
        }
      }
      // wait for partners only while nothing else is ready: other work never waits behind a batch
      long deadline = System.nanoTime() + maxWaitNanos;
      while (batch.size() < maxBatch && pending.isEmpty()) {
        long left = deadline - System.nanoTime();
        T next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
        if (next == null) {
          break;
        }
        if (canvas.applyAsLong(next) == key) {
          batch.add(next);
        } else {
          pending.add(next);
        }
      }
      return List.copyOf(batch);
    } finally {
      forming.unlock();
    }
  }

  /** Removes and returns everything queued or set aside (for failing it on close). */
  List<T> drainAll() {
    forming.lock();
    try {
      List<T> all = new ArrayList<>();
      for (T t; (t = alone.poll()) != null; ) {
        all.add(t);
      }
      all.addAll(pending);
      pending.clear();
      queue.drainTo(all);
      return all;
    } finally {
      forming.unlock();
    }
  }
}
