package io.sparkseg.core.model;

/** A model bundle that cannot be used: names the bundle (or file) and what is wrong with it. */
public class InvalidBundleException extends RuntimeException {

  public InvalidBundleException(String message) {
    super(message);
  }

  public InvalidBundleException(String message, Throwable cause) {
    super(message, cause);
  }
}
