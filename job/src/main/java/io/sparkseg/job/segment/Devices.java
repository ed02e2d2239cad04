package io.sparkseg.job.segment;

import java.util.Locale;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import scala.Option;

/**
 * Picks the device a task runs the model on. With {@code auto} (the default), a task that Spark
 * scheduled with a GPU resource ({@code spark.task.resource.gpu.amount}) uses that GPU's address
 * ({@code gpu:<address>}), any other task the CPU. {@code cpu} forces the CPU; {@code gpu} or
 * {@code gpu:N} force a GPU.
 */
public final class Devices {
  private Devices() {}

  public static String forTask(String setting) {
    String s = setting == null ? "auto" : setting.trim().toLowerCase(Locale.ROOT);
    if (s.equals("cpu")) {
      return "cpu";
    }
    String assigned = assignedGpu();
    if (assigned != null && (s.equals("auto") || s.equals("gpu"))) {
      return "gpu:" + assigned;
    }
    if (s.equals("auto")) {
      return "cpu";
    }
    return s;
  }

  /** The address of the GPU Spark assigned to the current task, or null. */
  static String assignedGpu() {
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

  /** Checks a --device value; returns an error message or null. */
  public static String validate(String setting) {
    String s = setting == null ? "" : setting.trim().toLowerCase(Locale.ROOT);
    if (s.equals("auto") || s.equals("cpu") || s.equals("gpu") || s.matches("gpu:\\d+")) {
      return null;
    }
    return "--device must be auto, cpu, gpu or gpu:N, got '" + setting + "'";
  }
}
