package io.sparkseg.core.bench;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * libtorch's own profiler around forward passes, and where their time went: the operators with the
 * most self time (an operator's time minus that of the operators it called), read back from the
 * Chrome trace libtorch writes. The profiler records the thread that started it only, so the passes
 * to profile must run on that thread.
 */
public final class TorchProfile {
  private final Path trace;
  private boolean running;

  private TorchProfile(Path trace) {
    this.trace = trace;
  }

  /** A profile that will write its Chrome trace (JSON, open it in chrome://tracing or Perfetto) to {@code trace}. */
  public static TorchProfile to(Path trace) {
    return new TorchProfile(trace.toAbsolutePath());
  }

  /** The trace file written on {@link #stop()}. */
  public Path trace() {
    return trace;
  }

  /**
   * Starts recording this thread's operators (with their input shapes), after making the trace's
   * folder, so a bad path fails now rather than after the passes.
   */
  public synchronized void start() {
    if (running) {
      throw new IllegalStateException("profile to " + trace + " is already running");
    }
    try {
      Files.createDirectories(trace.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the folder of the profile trace " + trace + ": " + e.getMessage(), e);
    }
    JniUtils.startProfile(false, true, false);
    running = true;
  }

  /** Stops recording and writes the trace. */
  public synchronized void stop() {
    if (!running) {
      throw new IllegalStateException("profile to " + trace + " was not started");
    }
    running = false;
    JniUtils.stopProfile(trace.toString());
  }

  /** One operator's share of a trace: how often it ran and its self time in all. */
  public record OperatorTime(String name, long calls, double selfMillis) {}

  /**
   * The {@code top} operators by self time in a Chrome trace (complete events, {@code "ph": "X"}),
   * most first. Events nest by time on each thread: an event's self time is its duration minus
   * those of the events directly inside it.
   */
  public static List<OperatorTime> topBySelfTime(Path trace, int top) throws IOException {
    JsonNode root = new ObjectMapper().readTree(trace.toFile());
    JsonNode events = root.isArray() ? root : root.path("traceEvents");
    Map<String, List<double[]>> byThread = new HashMap<>();
    List<String> names = new ArrayList<>();
    Map<String, Integer> nameIds = new HashMap<>();
    for (JsonNode e : events) {
      if (!"X".equals(e.path("ph").asText()) || !e.has("ts") || !e.has("dur")) {
        continue;
      }
      int id = nameIds.computeIfAbsent(e.path("name").asText(), n -> {
        names.add(n);
        return names.size() - 1;
      });
      String thread = e.path("pid").asText() + "/" + e.path("tid").asText();
      byThread.computeIfAbsent(thread, t -> new ArrayList<>())
          .add(new double[] {e.path("ts").asDouble(), e.path("dur").asDouble(), id});
    }
    double[] selfMicros = new double[names.size()];
    long[] calls = new long[names.size()];
    for (List<double[]> list : byThread.values()) {
      // parents first: earlier start, and at equal starts the longer event
      list.sort(Comparator.<double[]>comparingDouble(e -> e[0]).thenComparing(e -> -e[1]));
      Deque<double[]> open = new ArrayDeque<>();
      for (double[] e : list) {
        while (!open.isEmpty() && open.peek()[0] + open.peek()[1] <= e[0]) {
          open.pop();
        }
        int id = (int) e[2];
        if (!open.isEmpty()) {
          selfMicros[(int) open.peek()[2]] -= e[1];
        }
        selfMicros[id] += e[1];
        calls[id]++;
        open.push(e);
      }
    }
    List<OperatorTime> all = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      all.add(new OperatorTime(names.get(i), calls[i], selfMicros[i] / 1000.0));
    }
    all.sort(Comparator.comparingDouble(OperatorTime::selfMillis).reversed());
    return all.subList(0, Math.min(top, all.size()));
  }
}
