package io.sparkseg.job.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Option defaults from {@code sparkseg-defaults.properties}, the one config file every launcher
 * reads (bin/sparkseg, spark-submit, Kubernetes, Airflow). Keys are an option's long name without
 * dashes, optionally prefixed by the command: {@code segment.batch-size=8} beats
 * {@code batch-size=8}. Empty values mean "no default".
 *
 * <p>Precedence, for every option of every command: the command-line flag, else this file's
 * value, else the built-in default ({@link SegmentKeys} for {@code segment}, the option's
 * annotation for the other commands).
 *
 * <p>The file is looked up in this order, first hit wins: the {@code sparkseg.defaults} system
 * property; {@code $SPARKSEG_CONF_DIR/sparkseg-defaults.properties};
 * {@code $SPARKSEG_HOME/conf/...}; {@code conf/...} under the {@code sparkseg.repo.root} system
 * property; {@code ./conf/...}; and finally the copy packaged in the jar (built from the repo's
 * {@code conf/}), which is what cluster runs get unless they ship their own.
 */
public final class Defaults implements CommandLine.IDefaultValueProvider {
  public static final String FILE_NAME = "sparkseg-defaults.properties";
  private final Properties props;
  private final String source;

  private Defaults(Properties props, String source) {
    this.props = props;
    this.source = source;
  }

  /** Loads the defaults from the first location that has the file. */
  public static Defaults load() {
    for (Path p : candidates()) {
      if (Files.isRegularFile(p)) {
        try (Reader r = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
          Properties props = new Properties();
          props.load(r);
          return new Defaults(props, p.toAbsolutePath().toString());
        } catch (IOException e) {
          throw new IllegalStateException("cannot read " + p + ": " + e.getMessage(), e);
        }
      }
    }
    try (InputStream in = Defaults.class.getResourceAsStream("/" + FILE_NAME)) {
      Properties props = new Properties();
      if (in != null) {
        props.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        return new Defaults(props, "classpath:" + FILE_NAME);
      }
      return new Defaults(props, "(none)");
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the packaged " + FILE_NAME + ": " + e.getMessage(), e);
    }
  }

  /** Defaults from explicit properties (tests). */
  public static Defaults of(Properties props) {
    return new Defaults(props, "(given)");
  }

  static List<Path> candidates() {
    List<Path> out = new ArrayList<>();
    String explicit = System.getProperty("sparkseg.defaults");
    if (explicit != null && !explicit.isBlank()) {
      out.add(Path.of(explicit));
    }
    String confDir = System.getenv("SPARKSEG_CONF_DIR");
    if (confDir != null && !confDir.isBlank()) {
      out.add(Path.of(confDir, FILE_NAME));
    }
    String home = System.getenv("SPARKSEG_HOME");
    if (home != null && !home.isBlank()) {
      out.add(Path.of(home, "conf", FILE_NAME));
    }
    String repo = System.getProperty("sparkseg.repo.root");
    if (repo != null && !repo.isBlank()) {
      out.add(Path.of(repo, "conf", FILE_NAME));
    }
    out.add(Path.of("conf", FILE_NAME));
    return out;
  }

  /** Where the defaults came from (a file path, {@code classpath:...} or {@code (none)}). */
  public String source() {
    return source;
  }

  /** The raw value for {@code key} in command {@code command}, or null. */
  public String get(String command, String key) {
    String v = props.getProperty(command + "." + key);
    if (v == null) {
      v = props.getProperty(key);
    }
    return v == null || v.isBlank() ? null : v.trim();
  }

  @Override
  public String defaultValue(ArgSpec argSpec) {
    if (!(argSpec instanceof OptionSpec opt) || opt.command() == null) {
      return null;
    }
    String key = opt.longestName().replaceFirst("^-+", "");
    String command = opt.command().name();
    String v = get(command, key);
    return v == null && SegmentKeys.COMMAND.equals(command) ? SegmentKeys.BUILT_IN.get(key) : v;
  }
}
