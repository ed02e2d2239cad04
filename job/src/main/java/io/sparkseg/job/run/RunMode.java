package io.sparkseg.job.run;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** {@code --mode}: what an invocation does with a run id that already has commits. */
public enum RunMode {
  /** New run id: run. Unfinished: resume after its commits. Finished: compute nothing, print its summary. */
  AUTO,
  /** Compute the whole run again; readers keep the previous rows until the new attempt succeeds. */
  REPLACE,
  /** As {@link #AUTO}, and skip images an earlier succeeded run segmented from the same content. */
  INCREMENTAL;

  /** The option value: auto, replace or incremental. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** {@code --mode VALUE}, case-insensitive. */
  public static RunMode parse(String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    for (RunMode m : values()) {
      if (m.id().equals(v)) {
        return m;
      }
    }
    throw new IllegalArgumentException("--mode must be one of "
        + Arrays.stream(values()).map(RunMode::id).collect(Collectors.joining(", ")) + ", got '" + value + "'");
  }
}
