package io.sparkseg.job.input;

/** The job's input cannot be used (nothing matched, unreadable manifest, bad ids); the CLI exits with 2. */
public class InputException extends RuntimeException {
  public InputException(String message) {
    super(message);
  }

  public InputException(String message, Throwable cause) {
    super(message, cause);
  }
}
