package io.sparkseg.job.executor;

import java.io.Serializable;
import java.util.Locale;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import scala.Option;

/**
 * The device setting ({@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}), parsed once on the
 * driver. With {@code auto} a task that Spark scheduled with a GPU resource
 * ({@code spark.task.resource.gpu.amount}) uses that GPU's address, any other task the CPU;
 * {@code cpu} forces the CPU; {@code gpu} or {@code gpu:N} force a GPU.
 *
 * @param gpu {@link #AUTO}, {@link #CPU}, {@link #ANY_GPU} or a GPU ordinal
 */
public record Device(int gpu) implements Serializable {
  private static final int AUTO = -1;
  private static final int CPU = -2;
  private static final int ANY_GPU = -3;

  /** Parses a device setting; the message names the allowed values. */
  public static Device parse(String setting) {
    String s = setting == null ? "" : setting.trim().toLowerCase(Locale.ROOT);
    switch (s) {
      case "auto":
        return new Device(AUTO);
      case "cpu":
        return new Device(CPU);
      case "gpu":
        return new Device(ANY_GPU);
      default:
        if (s.matches("gpu:\\d{1,9}")) {
          return new Device(Integer.parseInt(s.substring(4)));
        }
        throw new IllegalArgumentException("--device must be auto, cpu, gpu or gpu:N, got '" + setting + "'");
    }
  }

  /** The device this task runs the model on: {@code cpu}, {@code gpu} or {@code gpu:N}. */
  public String forTask() {
    if (gpu == CPU) {
      return "cpu";
    }
    String assigned = gpu == AUTO || gpu == ANY_GPU ? assignedGpu() : null;
    if (assigned != null) {
      return "gpu:" + assigned;
    }
    return gpu == AUTO ? "cpu" : toString();
  }

  /** The address of the GPU Spark assigned to the current task, or null. */
  private static String assignedGpu() {
    TaskContext tc = TaskContext.get();
    if (tc == null) {
      return null;
    }
    Option<ResourceInformation> gpu = tc.resources().get("gpu");
    if (gpu.isDefined() && gpu.get().addresses().length > 0) {
      return gpu.get().addresses()[0].trim();
    }
    return null;
  }

  /** The setting as written: auto, cpu, gpu or gpu:N. */
  @Override
  public String toString() {
    return switch (gpu) {
      case AUTO -> "auto";
      case CPU -> "cpu";
      case ANY_GPU -> "gpu";
      default -> "gpu:" + gpu;
    };
  }
}
