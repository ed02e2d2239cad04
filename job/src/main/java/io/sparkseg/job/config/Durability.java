package io.sparkseg.job.config;

import io.sparkseg.job.output.format.TableFormat;
import io.sparkseg.job.run.RunMode;

/**
 * How a run survives: images per commit, what to do with a run id that has commits ({@code --mode}),
 * the table format, and after how many seconds without a heartbeat another attempt's lock is stale.
 * Mode and format are kept as given and parsed by {@link SegmentConfig#validate()} and the accessors.
 */
public record Durability(int commitImages, String mode, String tableFormat, double lockTimeoutSeconds) {
  public RunMode runMode() {
    return RunMode.parse(mode);
  }

  public TableFormat format() {
    return TableFormat.parse(tableFormat);
  }
}
