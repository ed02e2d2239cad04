package io.sparkseg.job.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.image.TestImages;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.executor.ExecutorPipeline;
import io.sparkseg.job.executor.PipelineSettings;
import io.sparkseg.job.executor.RunMetrics;
import io.sparkseg.tables.InstancesTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("smoke")
class MaskRcnnTransformerTest {
  @TempDir
  Path tmp;

  @Test
  void segmentsImageBytesInAPipeline() throws Exception {
    TestSpark.requireModel();
    Path dir = tmp.resolve("imgs");
    Files.createDirectories(dir);
    Files.copy(TestSpark.sampleImages(1).get(0), dir.resolve("sample.jpg"));
    Files.write(dir.resolve("tiny.png"), TestImages.png(64, 48));
    Files.write(dir.resolve("broken.jpg"), TestImages.truncatedJpeg(64, 48));
    Dataset<Row> files = TestSpark.session().read().format("binaryFile").load(dir.toString());
    MaskRcnnTransformer t = new MaskRcnnTransformer()
        .setModelUri(TestSpark.modelDir().toString())
        .setInputCol("content").setOutputCol("instances").setStatusCol("status")
        .setScoreThreshold(0.05).setBatchSize(2);
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {t}).fit(files);
    Dataset<Row> out = model.transform(files);
    assertEquals(new ArrayType(InstancesTable.INSTANCE, false), out.schema().apply("instances").dataType());
    assertEquals(DataTypes.StringType, out.schema().apply("status").dataType());
    List<Row> rows = out.select("path", "status", "instances").collectAsList();
    assertEquals(3, rows.size());
    for (Row r : rows) {
      String path = r.getString(0);
      if (path.endsWith("broken.jpg")) {
        assertEquals("decode_error", r.getString(1));
        assertNull(r.get(2));
      } else {
        assertEquals("ok", r.getString(1), path);
        assertNotNull(r.getList(2));
      }
    }
    // the sample image's instances look like the instances table's
    Row sample = rows.stream().filter(r -> r.getString(0).endsWith("sample.jpg")).findFirst().orElseThrow();
    List<Row> inst = sample.getList(2);
    for (int i = 0; i < inst.size(); i++) {
      assertEquals(i, inst.get(i).getInt(0));
    }
  }

  @Test
  void acceptsPathColumnsAndSavesItsParams() throws Exception {
    TestSpark.requireModel();
    Path img = tmp.resolve("a.png");
    Files.write(img, TestImages.png(64, 48));
    Path large = tmp.resolve("large.png");
    Files.write(large, TestImages.png(640, 480));
    StructType schema = new StructType().add("id", DataTypes.IntegerType).add("p", DataTypes.StringType);
    Dataset<Row> df = TestSpark.session().createDataFrame(List.of(
        RowFactory.create(1, img.toString()), RowFactory.create(2, tmp.resolve("gone.png").toString()),
        RowFactory.create(3, large.toString())), schema);
    MaskRcnnTransformer t = new MaskRcnnTransformer().setModelUri(TestSpark.modelDir().toString())
        .setInputCol("p").setOutputCol("found").setStatusCol("st").setFlipTest("off").setPrecision("fp32")
        .setMaxImageBytes(Files.size(img));
    List<Row> rows = t.transform(df).orderBy("id").select("id", "st").collectAsList();
    assertEquals("ok", rows.get(0).getString(1), "a file at the byte limit is read");
    assertEquals("missing", rows.get(1).getString(1));
    assertEquals("too_large", rows.get(2).getString(1), "a file over the byte limit is not");

    t.write().overwrite().save(tmp.resolve("saved").toString());
    MaskRcnnTransformer back = MaskRcnnTransformer.load(tmp.resolve("saved").toString());
    assertEquals(t.uid(), back.uid());
    assertEquals("p", back.getOrDefault(back.inputCol));
    assertEquals("found", back.getOrDefault(back.outputCol));
    assertEquals("off", back.getOrDefault(back.flipTest));
    assertEquals("fp32", back.getOrDefault(back.precision));
    assertEquals(Files.size(img), (long) back.getOrDefault(back.maxImageBytes));
    // a limit over what one Java array holds is refused when set
    assertThrows(IllegalArgumentException.class, () -> new MaskRcnnTransformer().setMaxImagePixels(800_000_000L));
    assertThrows(IllegalArgumentException.class, () -> new MaskRcnnTransformer().setMaxImageBytes(3_000_000_000L));
    String msg = assertThrows(IllegalArgumentException.class, () -> t.copy(new org.apache.spark.ml.param.ParamMap())
        .setFlipTest("maybe").transformSchema(schema)).getMessage();
    assertEquals("flipTest must be auto, on or off, got 'maybe'", msg);
    msg = assertThrows(IllegalArgumentException.class, () -> t.copy(new org.apache.spark.ml.param.ParamMap())
        .setPrecision("int8").transformSchema(schema)).getMessage();
    assertEquals("precision must be fp32, fp16 or bf16, got 'int8'", msg);
    // a missing bundle fails in transform() on the driver, before any task
    msg = assertThrows(io.sparkseg.core.model.InvalidBundleException.class, () -> new MaskRcnnTransformer()
        .setModelUri(tmp.resolve("no-bundle").toString()).setInputCol("p").transform(df)).getMessage();
    assertTrue(msg.contains("no-bundle"), msg);

    assertThrows(IllegalArgumentException.class, () -> t.copy(new org.apache.spark.ml.param.ParamMap())
        .setInputCol("id").transformSchema(schema));
  }

  @Test
  void runsWithTheJobsPipelineSettingsAndCountsInAccumulators() throws Exception {
    TestSpark.requireModel();
    Path dir = tmp.resolve("imgs");
    Files.createDirectories(dir);
    Files.write(dir.resolve("a.png"), TestImages.png(64, 48));
    Files.write(dir.resolve("b.png"), TestImages.png(48, 64));
    Files.write(dir.resolve("broken.jpg"), TestImages.truncatedJpeg(64, 48));
    Dataset<Row> files = TestSpark.session().read().format("binaryFile").load(dir.toString());
    // thread counts no "auto" resolves to, so finding them proves they reached the executor pipeline
    MaskRcnnTransformer t = new MaskRcnnTransformer().setModelUri(TestSpark.modelDir().toString())
        .setStatusCol("status").setBatchSize(2).setMaxBatchWaitMs(7).setPrefetch(3).setPrepareThreads(3)
        .setPostprocessThreads(3).setInferenceThreads(5).setTorchThreads(1);
    assertEquals(3, t.transform(files).collectAsList().size());
    assertTrue(ExecutorPipeline.inUse().contains(new PipelineSettings(2, 7, 3, 3, 3, 5, 1)),
        "pipelines in use: " + ExecutorPipeline.inUse());
    RunMetrics m = t.metrics();
    assertEquals(3, m.images.value());
    assertEquals(1, m.failed.value());
    assertTrue(m.inferenceMs.value() > 0);
    // the defaults are segment's
    MaskRcnnTransformer d = new MaskRcnnTransformer();
    assertEquals(new PipelineSettings(1, 50, 8, 0, 0, 0, 0), d.pipelineSettings());
  }
}
