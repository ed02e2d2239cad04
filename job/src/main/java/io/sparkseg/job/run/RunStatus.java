package io.sparkseg.job.run;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How a run ended (or where it is): the summary's {@code status} value. */
public enum RunStatus {
  RUNNING,
  SUCCEEDED,
  /** The run wrote its output, but more images failed than --max-failed-fraction allows. */
  FAILED_FRACTION_EXCEEDED,
  FAILED;

  /** The value written to the summary, e.g. {@code failed_fraction_exceeded}. */
  @JsonValue
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }
}
