package io.sparkseg.job.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoJsonReader;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import io.sparkseg.job.evaluate.input.DistributedGroundTruth;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ground truth read by the executors in chunks evaluates as the file read whole does, pycocotools'
 * lookups by id included (a repeated image id keeps its last record, a repeated annotation id is
 * evaluated as its last record), and its errors name the record as the one-piece reader does.
 */
class DistributedGroundTruthTest {
  private static SparkSession spark;
  private static boolean created;

  @BeforeAll
  static void start() {
    created = SparkSession.getDefaultSession().isEmpty() || SparkSession.getDefaultSession().get().sparkContext().isStopped();
    spark = SparkSession.builder().master("local[2]").appName("DistributedGroundTruthTest")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
    // chunks of a few records
    spark.conf().set("spark.sql.files.maxPartitionBytes", "700");
    spark.conf().set("spark.sql.files.openCostInBytes", "0");
  }

  @AfterAll
  static void stop() {
    spark.conf().unset("spark.sql.files.maxPartitionBytes");
    spark.conf().unset("spark.sql.files.openCostInBytes");
    if (created) {
      spark.stop();
    }
  }

  private static CocoDataset onePiece(Path f) throws Exception {
    try (InputStream in = Files.newInputStream(f)) {
      return CocoJsonReader.readDataset(in);
    }
  }

  private static void assertSameAsOnePiece(Path gtFile, List<CocoDetection> dts, String what) throws Exception {
    CocoDataset whole = onePiece(gtFile);
    List<LoadedDetection> loaded = LoadRes.apply(whole, dts, LoadRes.AreaSource.AUTO);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    DistributedGroundTruth gt = DistributedGroundTruth.read(spark, gtFile.toUri().toString(), 3);
    try {
      for (IouType type : IouType.values()) {
        EvalParams p = CocoEvaluator.defaultParams(whole, type);
        if (p.catCount() == 0) {
          continue;
        }
        double[] expected = EvalSummary.of(CocoEvaluator.evaluateLoaded(whole, loaded, p)).stats();
        double[] got = EvalSummary.of(DistributedCocoEval.evaluate(gt, jsc.parallelize(loaded, 2),
            CocoEvaluator.defaultParams(gt.header(), type))).stats();
        assertArrayEquals(expected, got, 0.0, what + " " + type);
      }
    } finally {
      gt.unpersist();
    }
  }

  @Test
  void everyReferenceCaseInChunks() throws Exception {
    for (String c : List.of("c01_tiny", "c02_small_mixed", "c03_three_cats_kp", "c04_crowd_ties", "c08_moderate")) {
      assertSameAsOnePiece(DistributedCocoEvalTest.caseDir(c).resolve("gt.json"), DistributedCocoEvalTest.dts(c), c);
    }
  }

  @Test
  void repeatedIdsAsPycocotoolsLooksThemUp(@TempDir Path tmp) throws Exception {
    String c = "c03_three_cats_kp";
    ObjectMapper m = new ObjectMapper();
    ObjectNode root = (ObjectNode) m.readTree(DistributedCocoEvalTest.caseDir(c).resolve("gt.json").toFile());
    ArrayNode anns = (ArrayNode) root.get("annotations");
    ArrayNode images = (ArrayNode) root.get("images");
    // an annotation id used again by a later record of another image, and an image given twice
    // (evaluated once)
    long id0 = anns.get(0).get("id").asLong();
    ObjectNode later = (ObjectNode) anns.get(anns.size() - 1);
    assertTrue(later.get("image_id").asLong() != anns.get(0).get("image_id").asLong());
    later.put("id", id0);
    ObjectNode again = images.get(1).deepCopy();
    again.put("file_name", "again.jpg");
    images.add(again);
    // and the keys in another order: annotations first
    ObjectNode reordered = m.createObjectNode();
    reordered.set("annotations", anns);
    reordered.set("categories", root.get("categories"));
    reordered.set("images", images);
    Path f = tmp.resolve("gt.json");
    m.writeValue(f.toFile(), reordered);
    assertSameAsOnePiece(f, DistributedCocoEvalTest.dts(c), "repeated ids");
  }

  @Test
  void errorsNameTheRecordAsTheOnePieceReaderDoes(@TempDir Path tmp) throws Exception {
    ObjectMapper m = new ObjectMapper();
    ObjectNode root = (ObjectNode) m.readTree(DistributedCocoEvalTest.caseDir("c08_moderate").resolve("gt.json").toFile());
    ((ObjectNode) root.get("annotations").get(57)).remove("image_id");
    Path f = tmp.resolve("gt.json");
    m.writeValue(f.toFile(), root);
    String expected = assertThrows(IllegalArgumentException.class, () -> onePiece(f)).getMessage();
    assertTrue(expected.contains("image_id is missing"), expected);
    Exception e = assertThrows(Exception.class, () -> DistributedGroundTruth.read(spark, f.toUri().toString(), 2));
    assertEquals(expected, EvaluateJob.badInput(e).getMessage());
  }
}
