package io.sparkseg.core.coco;

/** A COCO JSON file that cannot be read; the message names the offending record. */
public class CocoFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public CocoFormatException(String message) {
    super(message);
  }

  public CocoFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
