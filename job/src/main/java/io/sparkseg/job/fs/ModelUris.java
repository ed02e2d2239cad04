package io.sparkseg.job.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * Turns a {@code --model} value into the one canonical, fully qualified URI string that names a
 * bundle everywhere (driver validation, the executor-side {@link io.sparkseg.job.executor.ModelHolder} key, the summary).
 * A URI with a scheme is qualified by its file system. A local path without a scheme is made
 * absolute; a relative one is looked up in the working directory, then under
 * {@code $SPARKSEG_HOME} and the {@code sparkseg.repo.root} system property, so the default
 * {@code samples/model} works from anywhere in a checkout. Local bundles come out as
 * {@code file:/abs/path}.
 */
public final class ModelUris {
  private ModelUris() {}

  public static String qualify(String model, Configuration conf) {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(model);
    if (p.toUri().getScheme() == null) {
      Path local = Path.of(model);
      if (!local.isAbsolute()) {
        List<Path> candidates = new ArrayList<>();
        candidates.add(local.toAbsolutePath());
        String home = System.getenv("SPARKSEG_HOME");
        if (home != null && !home.isBlank()) {
          candidates.add(Path.of(home).resolve(model));
        }
        String repo = System.getProperty("sparkseg.repo.root");
        if (repo != null && !repo.isBlank()) {
          candidates.add(Path.of(repo).resolve(model));
        }
        local = candidates.get(0);
        for (Path c : candidates) {
          if (Files.isDirectory(c)) {
            local = c;
            break;
          }
        }
      }
      p = new org.apache.hadoop.fs.Path("file", null, local.toAbsolutePath().normalize().toString());
    }
    try {
      FileSystem fs = p.getFileSystem(conf);
      return fs.makeQualified(p).toUri().toString();
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
