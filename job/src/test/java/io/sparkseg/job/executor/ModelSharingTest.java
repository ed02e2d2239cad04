package io.sparkseg.job.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.core.image.TestImages;
import io.sparkseg.core.model.ModelBundle;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.fs.ModelUris;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One model per executor JVM, shared by its task threads, with many partitions. */
class ModelSharingTest {
  @TempDir
  Path tmp;

  @Test
  void theModelIsLoadedOncePerExecutorJvm() throws Exception {
    TestSpark.requireModel();
    Path dir = tmp.resolve("in");
    Files.createDirectories(dir);
    for (int i = 0; i < 16; i++) {
      Files.write(dir.resolve(String.format("img%02d.jpg", i)), TestImages.jpeg(48 + i, 40));
    }
    // a copy of the bundle at a path no other test uses: the holder keys models by URI and digest,
    // so this run's loads are counted from zero whatever ran before in this JVM
    Path bundle = tmp.resolve("bundle");
    Files.createDirectories(bundle);
    for (String f : new String[] {"model.json", "model.pt"}) {
      Files.copy(TestSpark.modelDir().resolve(f), bundle.resolve(f));
    }
    Set<String> partitionsSeen = ConcurrentHashMap.newKeySet();
    SparkListener listener = new SparkListener() {
      @Override
      public void onTaskStart(SparkListenerTaskStart e) {
        partitionsSeen.add(e.stageId() + ":" + e.taskInfo().index());
      }
    };
    TestSpark.session().sparkContext().addSparkListener(listener);
    int before = ModelHolder.loadCount();
    TestSpark.CliResult r;
    try {
      r = TestSpark.cli("segment", "--input", dir.toString(), "--output", tmp.resolve("out").toString(),
          "--model", bundle.toString(), "--run-id", "share", "--partitions", "8",
          "--batch-size", "1", "--summary-json", tmp.resolve("s.json").toString(), "--progress-interval", "0");
    } finally {
      TestSpark.session().sparkContext().removeSparkListener(listener);
    }
    assertEquals(0, r.exitCode(), r.err());
    String uri = ModelUris.qualify(bundle.toString(), TestSpark.session().sparkContext().hadoopConfiguration());
    ModelRef ref = new ModelRef(uri, null, "auto", new Device("cpu"), "fp32", ModelBundle.load(bundle).digest());
    assertEquals(1, ModelHolder.loadCount(ref, "cpu"), "loaded once for this bundle and device in this JVM");
    assertEquals(1, ModelHolder.loadCount() - before, "one load in this JVM for 8 tasks on 4 task threads");
    JsonNode s = new ObjectMapper().readTree(tmp.resolve("s.json").toFile());
    assertEquals(8, s.get("partitions").asInt());
    assertEquals(1, s.get("timings").get("model_loads").asLong(), "the run's accumulator counts the one load");
    assertEquals(16, s.get("images_total").asInt());
    assertTrue(partitionsSeen.size() >= 8, "8 segmenting tasks ran on local[4]'s task threads: " + partitionsSeen);
    assertEquals(4, TestSpark.session().sparkContext().defaultParallelism());
  }
}
