package io.sparkseg.job.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.executor.Device;
import io.sparkseg.job.executor.ModelRef;
import io.sparkseg.job.executor.PipelineSettings;
import io.sparkseg.job.executor.Thresholds;
import io.sparkseg.job.input.InputSpec;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class SegmentConfigTest {
  @Test
  void theDefaultsFileSetsKnownKeysToTheBuiltInDefaults() throws Exception {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(TestSpark.repoRoot().resolve("conf").resolve(Defaults.FILE_NAME), StandardCharsets.UTF_8)) {
      p.load(r);
    }
    int segmentKeys = 0;
    for (String name : p.stringPropertyNames()) {
      if (name.startsWith("spark.")) {
        continue;
      }
      assertTrue(name.startsWith(SegmentKeys.COMMAND + "."), "not a segment key: " + name);
      String key = name.substring(SegmentKeys.COMMAND.length() + 1);
      assertTrue(SegmentKeys.BUILT_IN.containsKey(key), "unknown option in the defaults file: " + name);
      segmentKeys++;
      if (key.equals(SegmentKeys.MODEL)) {
        continue; // the one deployment default: the embedded sample bundle
      }
      String builtIn = SegmentKeys.BUILT_IN.get(key);
      String value = p.getProperty(name).trim();
      assertEquals(builtIn == null ? "" : builtIn, value, name + " differs from its built-in default");
    }
    assertEquals(SegmentKeys.BUILT_IN.size(), segmentKeys, "every segment option has a line in the defaults file");
  }

  @Test
  void validateListsEveryProblemNamingItsOption() {
    SegmentConfig c = new SegmentConfig(new InputSpec("in", null, null, null),
        new ModelRef(null, "/tmp/cache", "sometimes", new Device("tpu")),
        new Thresholds(1.5f, null, ImageDecoder.MAX_PIXELS_LIMIT + 1, 0),
        new PipelineSettings(0, -1, 0, -1, -1, -1, -1),
        new Outputs(" ", "bad id", null, null, null),
        new RunLimits(-1, 2.0, -1),
        new Durability(0, "sometimes", "csv", 0));
    List<String> p = c.validate();
    for (String expected : List.of("--output is required", "--run-id must match", "--model is required",
        "--batch-size must be at least 1", "--max-batch-wait-ms must be 0 or more", "--prefetch must be at least 1",
        "--prepare-threads must be 0", "--inference-threads must be 0", "--torch-threads must be 0",
        "--postprocess-threads must be 0", "--score-threshold must be in [0,1], got 1.5",
        "--max-image-pixels must be in [1, 715827879] (3 bytes a pixel in one array), got 715827880",
        "--max-image-bytes must be in [1, 2147483639] (one array), got 0", "--device must be auto, cpu, gpu or gpu:N, got 'tpu'",
        "--flip-test must be auto, on or off, got 'sometimes'", "--partitions must be 0",
        "--max-failed-fraction must be in [0,1]", "--progress-interval must not be negative",
        "--commit-images must be at least 1, got 0", "--mode must be one of auto, replace, incremental, got 'sometimes'",
        "--table-format 'csv' is not one of parquet, delta, iceberg", "--lock-timeout-s must be positive")) {
      assertNotNull(p.stream().filter(s -> s.startsWith(expected)).findFirst().orElse(null),
          "missing '" + expected + "' in " + p);
    }
    assertEquals(22, p.size(), p.toString());
  }

  @Test
  void theBuiltInDefaultsAreValid() {
    assertEquals(List.of(), withDefaults(null, SegmentKeys.TABLE_FORMAT_DEFAULT).validate());
  }

  /** The built-in defaults with these --register-tables and --table-format values. */
  private static SegmentConfig withDefaults(String registerTables, String tableFormat) {
    return new SegmentConfig(new InputSpec("in", null, null, null),
        new ModelRef("samples/model", null, SegmentKeys.FLIP_TEST_DEFAULT,
            new Device(SegmentKeys.DEVICE_DEFAULT)),
        new Thresholds(null, null, SegmentKeys.MAX_IMAGE_PIXELS_DEFAULT, SegmentKeys.MAX_IMAGE_BYTES_DEFAULT),
        SegmentKeys.defaultPipeline(SegmentKeys.BATCH_SIZE_DEFAULT, SegmentKeys.AUTO_THREADS, SegmentKeys.AUTO_THREADS),
        new Outputs("out", "run-1", null, registerTables, null),
        new RunLimits(SegmentKeys.PARTITIONS_DEFAULT, SegmentKeys.MAX_FAILED_FRACTION_DEFAULT,
            SegmentKeys.PROGRESS_INTERVAL_DEFAULT),
        new Durability(SegmentKeys.COMMIT_IMAGES_DEFAULT, SegmentKeys.MODE_DEFAULT, tableFormat,
            SegmentKeys.LOCK_TIMEOUT_S_DEFAULT));
  }

  @Test
  void registerTablesTakesAPlainDatabaseNameWithEveryFormat() {
    for (String format : List.of("parquet", "delta", "iceberg")) {
      for (String db : List.of("analytics", "my_db2", "bad-name", "db.sub", "")) {
        List<String> p = withDefaults(db, format).validate();
        if (List.of("analytics", "my_db2").contains(db)) {
          assertEquals(List.of(), p, format + " " + db);
        } else {
          assertEquals(List.of("--register-tables needs a plain database name ([A-Za-z_][A-Za-z0-9_]*), got '" + db + "'"),
              p, format);
        }
      }
    }
  }
}
