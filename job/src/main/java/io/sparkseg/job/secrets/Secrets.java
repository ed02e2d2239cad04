package io.sparkseg.job.secrets;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What counts as a secret, and the one way text is masked before it is printed, logged or stored: login details in
 * URIs ({@code scheme://user:secret@host}, and any user-info of an {@code s3://}, {@code s3a://} or {@code s3n://}
 * URI, which S3 reads as access and secret key) and the values of secret configuration keys this JVM was given
 * ({@link #register}). Used at every boundary: the CLI's writers, the log layout ({@link RedactConverter}), the
 * summary and runs table, and the images table's error column.
 */
public final class Secrets {
  /** What a masked secret reads as. */
  public static final String MASK = "***";
  /** Configuration keys whose values are secrets: Spark's redaction defaults plus the cloud connectors' key names. */
  static final Pattern SECRET_KEY = Pattern.compile("(?i)secret|password|passwd|token|access[._-]?key|"
      + "account[._-]?key|private[._-]?key|encryption[._-]?key$|^(spark\\.hadoop\\.)?fs\\.s3[an]?\\..*key$");
  /** A scheme, "://" and what follows up to the first '@' (the candidate user-info; judged by {@link #isLogin}). */
  private static final Pattern BEFORE_AT = Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*)://([^\\s\"'<>@]*)@");
  /** Shorter values, numbers and booleans are too common in text to mask wherever they occur. */
  private static final int MIN_MASKED_LENGTH = 4;
  private static final Set<String> VALUES = ConcurrentHashMap.newKeySet();

  private Secrets() {}

  /** Whether a configuration key (with or without Spark's {@code spark.hadoop.} prefix) holds a secret. */
  public static boolean isSecretKey(String key) {
    return key != null && SECRET_KEY.matcher(key).find();
  }

  /** Masks {@code value} from now on in everything this JVM redacts (values too short or plain to mask are kept). */
  public static void register(String value) {
    if (value != null && value.length() >= MIN_MASKED_LENGTH && !value.matches("[0-9.]+|(?i)true|false")) {
      VALUES.add(value);
    }
  }

  /** Registers the value of {@code key} when the key holds a secret. */
  public static void registerIfSecret(String key, String value) {
    if (isSecretKey(key)) {
      register(value);
    }
  }

  /** Whether {@code uri} (or any URI in the text) carries login details. */
  public static boolean hasLogin(String uri) {
    return uri != null && !maskLogins(uri).equals(uri);
  }

  /** {@code text} with login details in URIs and every registered secret value masked; null stays null. */
  public static String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out = maskLogins(text);
    for (String v : VALUES) {
      if (out.contains(v)) {
        out = out.replace(v, MASK);
      }
    }
    return out;
  }

  private static String maskLogins(String text) {
    if (!text.contains("@")) {
      return text;
    }
    Matcher m = BEFORE_AT.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    while (m.find()) {
      String replacement = isLogin(m.group(1), m.group(2)) ? m.group(1) + "://" + MASK + "@" : m.group();
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * Whether {@code beforeAt}, the text between {@code scheme://} and the first '@', is login details: user-info with
   * a password, or any user-info of an S3 URI (bucket names never hold ':' or '@'). An S3 secret key may hold an
   * unescaped '/', which ends the authority early: a ':' before the first '/' still marks it. Anything else (a
   * path with an '@', an Azure container@account) is no login.
   */
  private static boolean isLogin(String scheme, String beforeAt) {
    boolean s3 = scheme.toLowerCase(Locale.ROOT).matches("s3[an]?");
    int slash = beforeAt.indexOf('/');
    if (slash < 0) {
      return !beforeAt.isEmpty() && (s3 || beforeAt.contains(":"));
    }
    return s3 && beforeAt.substring(0, slash).contains(":");
  }
}
