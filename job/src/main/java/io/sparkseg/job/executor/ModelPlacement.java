package io.sparkseg.job.executor;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.sparkseg.core.model.EngineDevice;
import io.sparkseg.core.model.MaskRcnnModel;
import org.apache.spark.SparkEnv;

/**
 * Where an executor's model ran: the executor, its host, the device libtorch holds the weights on ({@code cpu},
 * {@code gpu:N}; what the engine did, not what was asked) and the precision. Tasks report it through
 * {@link RunMetrics#placements}; the run summary lists each executor's.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"executor_id", "host", "device", "precision"})
public record ModelPlacement(String executorId, String host, String device, String precision) {

  /** The placement of {@code model} on this executor. */
  static ModelPlacement of(MaskRcnnModel model) {
    SparkEnv env = SparkEnv.get();
    String id = env == null ? "driver" : env.executorId();
    String host = env == null ? "" : env.blockManager().blockManagerId().host();
    return new ModelPlacement(id, host, EngineDevice.name(model.device()), model.precision().id());
  }

  /** A tab-separated line (the accumulator's element). */
  String line() {
    return String.join("\t", executorId, host, device, precision);
  }

  static ModelPlacement parse(String line) {
    String[] f = line.split("\t", -1);
    return new ModelPlacement(f[0], f[1], f[2], f[3]);
  }
}
