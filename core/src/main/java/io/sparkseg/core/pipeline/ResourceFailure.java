package io.sparkseg.core.pipeline;

import java.util.List;
import java.util.Locale;

/**
 * Tells a failure of the machine from a failure of an image. A resource failure (any {@link Error}:
 * OutOfMemoryError, StackOverflowError, an engine error thrown as an Error; or the engine running
 * out of memory) says nothing about the images that were running: retrying them here would only
 * add load where memory is already short, and an error row for them would be a permanent wrong
 * answer. So the task fails instead, and Spark runs it again (on another executor if it fails again).
 */
public final class ResourceFailure {
  /** How libtorch and CUDA word an allocation that failed (CPU allocator, CUDA, cuDNN, cuBLAS). */
  private static final List<String> OUT_OF_MEMORY =
      List.of("out of memory", "not enough memory", "can't allocate memory", "alloc_failed");

  private ResourceFailure() {}

  /** Whether {@code t}, or anything in its cause chain, is an Error or an engine out-of-memory. */
  public static boolean is(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof Error) {
        return true;
      }
      String msg = c.getMessage();
      if (msg != null) {
        String m = msg.toLowerCase(Locale.ROOT);
        if (OUT_OF_MEMORY.stream().anyMatch(m::contains)) {
          return true;
        }
      }
    }
    return false;
  }
}
