package io.sparkseg.job.executor;

import java.io.Serializable;
import java.util.Locale;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import scala.Option;

/**
 * The device setting: {@code auto} (the default), {@code cpu}, {@code gpu} or {@code gpu:N},
 * normalised once where it is read. With {@code auto} a task that Spark scheduled with a GPU resource
 * ({@code spark.task.resource.gpu.amount}) uses that GPU's address, any other task the CPU;
 * {@code cpu} forces the CPU; {@code gpu} or {@code gpu:N} force a GPU.
 *
 * @param setting the setting as given (any case, surrounding blanks allowed)
 */
public record Device(String setting) implements Serializable {

  /** What is wrong with the setting, or null when it is one of the allowed values. */
  public String problem() {
    String s = normalized();
    if (s.equals("auto") || s.equals("cpu") || s.equals("gpu") || s.matches("gpu:\\d{1,9}")) {
      return null;
    }
    return "must be auto, cpu, gpu or gpu:N, got '" + setting + "'";
  }

  private String normalized() {
    return setting == null ? "" : setting.trim().toLowerCase(Locale.ROOT);
  }

  /** The device this task runs the model on: {@code cpu}, {@code gpu} or {@code gpu:N}. */
  public String forTask() {
    String s = normalized();
    if (s.equals("cpu")) {
      return "cpu";
    }
    String assigned = s.equals("auto") || s.equals("gpu") ? assignedGpu() : null;
    if (assigned != null) {
      return "gpu:" + assigned;
    }
    return s.equals("auto") ? "cpu" : s;
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
}
