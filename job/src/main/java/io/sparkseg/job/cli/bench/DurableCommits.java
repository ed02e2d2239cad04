package io.sparkseg.job.cli.bench;

import io.sparkseg.job.output.format.TableSchemas;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Counts the durable commits of a run in a local Parquet output, from outside the process writing
 * them: a commit is durable once its {@code images/run_id=ID/commit=K/_SUCCESS} exists (what a
 * resume keeps). Each look lists the run's folder and checks only the commits not yet seen complete.
 */
final class DurableCommits {
  private final Path runDir;
  private final Set<String> done = new HashSet<>();

  DurableCommits(Path output, String runId) {
    this.runDir = output.resolve(TableSchemas.IMAGES).resolve(TableSchemas.RUN_ID + "=" + runId);
  }

  /** Durable commits now. */
  int count() {
    if (!Files.isDirectory(runDir)) {
      return 0;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(runDir, TableSchemas.COMMIT + "=*")) {
      for (Path commit : s) {
        String name = commit.getFileName().toString();
        if (!done.contains(name) && Files.exists(commit.resolve("_SUCCESS"))) {
          done.add(name);
        }
      }
    } catch (IOException | UncheckedIOException e) {
      // a folder renamed away while listing: the next look sees it
    }
    return done.size();
  }
}
