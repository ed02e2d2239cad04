package io.sparkseg.core.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;

/**
 * The device libtorch really runs a model on, as opposed to the one asked for: a GPU asked of an engine with CPU
 * natives only (no CUDA libtorch on the executor's class path) fails here, before anything loads, with a message
 * that says so; and a model whose weights are not on the asked GPU after loading fails too, so a CPU fallback is
 * never silent.
 */
public final class EngineDevice {
  private EngineDevice() {}

  /** {@code cpu} or {@code gpu:N}: the name the run summary and logs use. */
  public static String name(Device d) {
    return d.isGpu() ? "gpu:" + d.getDeviceId() : d.getDeviceType();
  }

  /**
   * Checks that the PyTorch engine can run on {@code asked}.
   *
   * @throws IllegalStateException naming the device, the engine's GPU count and the natives to install
   */
  static void checkAvailable(Device asked) {
    if (!asked.isGpu()) {
      return;
    }
    Engine engine = Engine.getEngine("PyTorch");
    int gpus = engine.getGpuCount();
    if (asked.getDeviceId() >= gpus) {
      throw new IllegalStateException("device " + name(asked) + " was asked, but the PyTorch engine (libtorch "
          + engine.getVersion() + ") on this JVM sees " + gpus + " GPU" + (gpus == 1 ? "" : "s") + ": "
          + (gpus == 0 ? "its native library is the CPU build, or no CUDA driver is visible; put DJL's CUDA libtorch "
              + "(ai.djl.pytorch:pytorch-native-cu128:2.7.1:linux-x86_64) on the executors' class path "
              + "ahead of the job jar (deploy/README.md, \"libtorch on the executors\")"
              : "name a GPU below " + gpus)
          + ", or run with --device cpu");
    }
  }

  /**
   * The device a loaded model's weights are on.
   *
   * @throws IllegalStateException when a GPU was asked and they are elsewhere
   */
  static Device of(Model model, Device asked) {
    var params = model.getBlock().getParameters();
    Device actual = params.isEmpty() ? asked : params.valueAt(0).getArray().getDevice();
    if (asked.isGpu() && !actual.equals(asked)) {
      throw new IllegalStateException("device " + name(asked) + " was asked, but libtorch loaded the model on "
          + name(actual) + "; refusing to run on another device than the one asked (--device)");
    }
    return actual;
  }
}
