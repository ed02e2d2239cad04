package io.sparkseg.job.run;

import java.security.SecureRandom;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/** Attempt ids: one per invocation of a run, sortable by start time, unique across hosts. */
public final class Attempts {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  private Attempts() {}

  /** {@code yyyyMMddTHHmmssZ-xxxxxx}: the UTC start and a random suffix. */
  public static String newId() {
    StringBuilder b = new StringBuilder(ZonedDateTime.now(ZoneOffset.UTC).format(STAMP)).append('-');
    for (int i = 0; i < 6; i++) {
      b.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
    }
    return b.toString();
  }
}
