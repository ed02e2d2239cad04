package io.sparkseg.core.coco.errors;

import java.io.Serializable;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts by a key of two ints (error type and category; ground-truth and predicted category),
 * summed over images in any grouping. Mutable while an image or a partition adds to it.
 */
public final class Tally implements Serializable {
  private static final long serialVersionUID = 1L;

  private final HashMap<Long, Long> counts = new HashMap<>();

  /** The key of ({@code a}, {@code b}). */
  public static long key(int a, int b) {
    return ((long) a << 32) | (b & 0xffffffffL);
  }

  /** The first int of a key. */
  public static int first(long key) {
    return (int) (key >> 32);
  }

  /** The second int of a key. */
  public static int second(long key) {
    return (int) key;
  }

  void add(int a, int b) {
    counts.merge(key(a, b), 1L, Long::sum);
  }

  /** Adds {@code o}'s counts to these; returns this. */
  public Tally merge(Tally o) {
    o.counts.forEach((k, v) -> counts.merge(k, v, Long::sum));
    return this;
  }

  /** The counts by key (read-only). */
  public Map<Long, Long> counts() {
    return Collections.unmodifiableMap(counts);
  }
}
