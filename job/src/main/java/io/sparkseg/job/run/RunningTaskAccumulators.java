package io.sparkseg.job.run;

import io.sparkseg.compat.ScalaApi;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * A driver-side listener that keeps, per running task, the latest partial values of some long
 * accumulators. Executors send every running task's non-zero accumulator values, user
 * accumulators included, with each heartbeat ({@code spark.executor.heartbeatInterval}, 10 s by
 * default; local mode too); the driver's accumulator itself only changes when a task ends. A task's
 * partials are dropped when it ends: then its value is in the accumulator if it succeeded, and
 * never is if it failed (user accumulators do not count failed attempts).
 */
final class RunningTaskAccumulators extends SparkListener {
  private final Set<Long> ids;
  /** task id -> (accumulator id -> latest partial value); only tasks that started and have not ended. */
  private final Map<Long, Map<Long, Long>> running = new ConcurrentHashMap<>();

  RunningTaskAccumulators(long... accumulatorIds) {
    this.ids = Arrays.stream(accumulatorIds).boxed().collect(Collectors.toUnmodifiableSet());
  }

  /** The sum over running tasks of their latest reported value of accumulator {@code id}. */
  long partial(long id) {
    long sum = 0;
    for (Map<Long, Long> values : running.values()) {
      sum += values.getOrDefault(id, 0L);
    }
    return sum;
  }

  @Override
  public void onTaskStart(SparkListenerTaskStart taskStart) {
    running.putIfAbsent(taskStart.taskInfo().taskId(), new ConcurrentHashMap<>());
  }

  @Override
  public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
    // (task id, stage id, stage attempt, accumulator updates); the Seq type differs between Scala lines
    for (var task : ScalaApi.asJava(update.accumUpdates())) {
      // only tasks seen starting and not yet ended: a heartbeat that races a task's end must not
      // bring its partial back after the accumulator already holds the final value
      Map<Long, Long> values = running.get((Long) task._1());
      if (values == null) {
        continue;
      }
      for (AccumulableInfo info : ScalaApi.asJava(task._4())) {
        if (ids.contains(info.id()) && info.update().isDefined() && info.update().get() instanceof Number n) {
          values.put(info.id(), n.longValue());
        }
      }
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
    running.remove(taskEnd.taskInfo().taskId());
  }
}
