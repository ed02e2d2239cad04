package io.sparkseg.job.cli.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The input of {@code bench scale}: a CSV manifest of {@code rows} rows (image ids 1..rows), of
 * which {@code real} are copies of sample images spread evenly over the rows (so every part of the
 * run meets some), and the rest paths of files that do not exist: the run's cost is then the
 * driver's and the commits', not the model's.
 *
 * @param file the manifest
 * @param rows its rows
 * @param real rows that name an existing image
 */
record ScaleManifest(Path file, long rows, int real) {
  /** Writes the manifest and the copies under {@code dir} ({@code manifest.csv}, {@code images/}). */
  static ScaleManifest write(Path dir, List<Path> samples, long rows, int real) throws IOException {
    if (rows < 1 || real < 0 || real > rows) {
      throw new IllegalArgumentException("need 0 <= real images <= rows and rows >= 1, got " + real + " real of "
          + rows + " rows");
    }
    if (real > 0 && samples.isEmpty()) {
      throw new IllegalArgumentException("no sample images to copy");
    }
    Path images = dir.resolve("images").toAbsolutePath();
    Path missing = dir.resolve("missing").toAbsolutePath();
    Files.createDirectories(images);
    Path file = dir.resolve("manifest.csv").toAbsolutePath();
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("path,image_id\n");
      int copied = 0;
      for (long row = 0; row < rows; row++) {
        Path p;
        if (copied < real && row == realRow(copied, rows, real)) {
          Path sample = samples.get(copied % samples.size());
          p = images.resolve(String.format(Locale.ROOT, "real-%06d-%s", copied, sample.getFileName()));
          Files.copy(sample, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          copied++;
        } else {
          p = missing.resolve(String.format(Locale.ROOT, "m-%09d.jpg", row));
        }
        w.write(p.toString());
        w.write(',');
        w.write(Long.toString(row + 1));
        w.write('\n');
      }
    }
    return new ScaleManifest(file, rows, real);
  }

  /** The row of the {@code i}-th real image: the real images split the rows into equal runs. */
  static long realRow(int i, long rows, int real) {
    return i * rows / real;
  }
}
