package io.sparkseg.job.secrets;

import java.util.List;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.plugins.Plugin;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.apache.logging.log4j.core.pattern.ConverterKeys;
import org.apache.logging.log4j.core.pattern.LogEventPatternConverter;
import org.apache.logging.log4j.core.pattern.PatternConverter;
import org.apache.logging.log4j.core.pattern.PatternFormatter;

/**
 * The log layout's {@code %redact{pattern}}: formats the nested pattern and passes it through
 * {@link Secrets#redact}, so that Spark's, Hadoop's and our own log lines, stack traces included, never show URI
 * logins or the secret values this JVM was given. conf/log4j2.properties wraps its whole line in it.
 */
@Plugin(name = "RedactConverter", category = PatternConverter.CATEGORY)
@ConverterKeys({"redact"})
public final class RedactConverter extends LogEventPatternConverter {
  private final List<PatternFormatter> formatters;

  private RedactConverter(List<PatternFormatter> formatters) {
    super("redact", "redact");
    this.formatters = formatters;
  }

  /** Log4j's factory: {@code options[0]} is the nested pattern. */
  public static RedactConverter newInstance(Configuration config, String[] options) {
    if (options.length != 1) {
      throw new IllegalArgumentException("%redact takes one pattern: %redact{%m%n}, got " + options.length);
    }
    return new RedactConverter(PatternLayout.createPatternParser(config).parse(options[0]));
  }

  @Override
  public void format(LogEvent event, StringBuilder toAppendTo) {
    StringBuilder inner = new StringBuilder();
    for (PatternFormatter f : formatters) {
      f.format(event, inner);
    }
    toAppendTo.append(Secrets.redact(inner.toString()));
  }

  /** Whether the nested pattern prints the exception: then the layout must not append it again, unredacted. */
  @Override
  public boolean handlesThrowable() {
    return formatters.stream().anyMatch(PatternFormatter::handlesThrowable);
  }
}
