package io.sparkseg.core.image;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Decodes one file in a JVM of its own and prints its status: tests run it with a small heap to
 * meet a real OutOfMemoryError. Arguments: FILE [MAX_PIXELS].
 */
public final class DecodeMain {
  private DecodeMain() {}

  public static void main(String[] args) throws Exception {
    byte[] data = Files.readAllBytes(Path.of(args[0]));
    ImageDecoder decoder = args.length > 1 ? new ImageDecoder(Long.parseLong(args[1])) : new ImageDecoder();
    DecodeResult r = decoder.decode(data);
    System.out.println("status " + r.status().code() + (r.message() == null ? "" : ": " + r.message()));
  }
}
