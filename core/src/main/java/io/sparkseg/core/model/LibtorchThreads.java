package io.sparkseg.core.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch's intra-op thread count (the threads one forward pass spreads its operators over),
 * process-wide. On a CPU, several concurrent forward passes with one thread each keep the cores
 * busier than one pass over all of them: this model's operators are small, and a pass on N threads
 * waits at every operator for its slowest thread. Threads that ran libtorch before a change keep
 * their old count, so set it before the inference threads start.
 */
public final class LibtorchThreads {
  /** The JVM property DJL reads when its PyTorch engine starts; an explicit value wins over our defaults. */
  public static final String PROPERTY = "ai.djl.pytorch.num_threads";

  private LibtorchThreads() {}

  /** Whether the user fixed the count with {@code -Dai.djl.pytorch.num_threads}. */
  public static boolean setByUser() {
    return System.getProperty(PROPERTY) != null;
  }

  /** Sets the intra-op thread count for threads that start using libtorch from now on. */
  public static synchronized void set(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("libtorch needs at least one intra-op thread, got " + threads);
    }
    Engine.getEngine("PyTorch");
    JniUtils.setNumThreads(threads);
  }

  /**
   * The calling thread's intra-op thread count: the last {@link #set} value for a thread that
   * first used libtorch after it, its own older count otherwise.
   */
  public static int current() {
    Engine.getEngine("PyTorch");
    return JniUtils.getNumThreads();
  }
}
