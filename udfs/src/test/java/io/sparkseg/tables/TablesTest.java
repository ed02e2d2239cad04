package io.sparkseg.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The table contracts, written out: a change here is a change of what every reader of the tables
 * sees (README, notebooks, the SQL functions), so it must be deliberate.
 */
class TablesTest {
  private static final String MASK = "STRUCT<height: INT NOT NULL, width: INT NOT NULL, counts: STRING NOT NULL>";
  private static final String BBOX =
      "STRUCT<x: DOUBLE NOT NULL, y: DOUBLE NOT NULL, width: DOUBLE NOT NULL, height: DOUBLE NOT NULL>";
  private static final String INSTANCE = "instance_index INT NOT NULL, category_id INT NOT NULL,"
      + " category_name STRING NOT NULL, score FLOAT NOT NULL, bbox " + BBOX + " NOT NULL, mask " + MASK
      + " NOT NULL, mask_area BIGINT NOT NULL, mask_score FLOAT NOT NULL,"
      + " keypoints ARRAY<STRUCT<x: FLOAT NOT NULL, y: FLOAT NOT NULL, score: FLOAT NOT NULL>>";
  private static final String IMAGE = "image_id BIGINT NOT NULL, path STRING NOT NULL, width INT, height INT,"
      + " status STRING NOT NULL, error STRING, num_instances INT NOT NULL, inference_ms DOUBLE, size_bytes BIGINT,"
      + " modified_at TIMESTAMP, etag STRING";

  private static void assertDdl(String expected, StructType actual) {
    assertEquals(StructType.fromDDL(expected).toDDL(), actual.toDDL());
  }

  @Test
  void resultTables() {
    assertDdl("image_id BIGINT NOT NULL, " + INSTANCE
        + ", model_name STRING NOT NULL, model_version STRING NOT NULL, run_id STRING NOT NULL", InstancesTable.SCHEMA);
    assertDdl(IMAGE + ", run_id STRING NOT NULL", ImagesTable.SCHEMA);
    assertDdl(IMAGE + ", instances ARRAY<STRUCT<" + INSTANCE.replaceAll("(^|, )(\\w+) ", "$1$2: ") + ">> NOT NULL",
        ImagesTable.WITH_INSTANCES);
    // what DDL cannot say: arrays of the contract hold no null elements
    assertFalse(((ArrayType) InstancesTable.INSTANCE.apply(InstancesTable.KEYPOINTS).dataType()).containsNull());
    assertFalse(((ArrayType) ImagesTable.WITH_INSTANCES.apply(ImagesTable.INSTANCES).dataType()).containsNull());
    assertEquals(InstancesTable.INSTANCE, ((ArrayType) ImagesTable.WITH_INSTANCES.apply(ImagesTable.INSTANCES).dataType())
        .elementType());
  }

  @Test
  void evaluationTables() {
    assertDdl("iou_type STRING NOT NULL, stat_index INT NOT NULL, stat_name STRING NOT NULL, value DOUBLE NOT NULL,"
        + " run_id STRING NOT NULL", EvalTables.SUMMARY_SCHEMA);
    assertDdl("iou_type STRING NOT NULL, category_id INT NOT NULL, category_name STRING, ap DOUBLE NOT NULL,"
        + " ap50 DOUBLE NOT NULL, ap75 DOUBLE NOT NULL, ar DOUBLE NOT NULL, run_id STRING NOT NULL",
        EvalTables.PER_CATEGORY_SCHEMA);
    assertDdl("iou_type STRING NOT NULL, category_id INT NOT NULL, area STRING NOT NULL, max_dets INT NOT NULL,"
        + " iou_threshold DOUBLE NOT NULL, recall_threshold DOUBLE NOT NULL, precision DOUBLE NOT NULL,"
        + " score DOUBLE NOT NULL, run_id STRING NOT NULL", EvalTables.PR_CURVES_SCHEMA);
    assertDdl("iou_type STRING NOT NULL, category_id INT, category_name STRING, error_type STRING NOT NULL,"
        + " ap50 DOUBLE NOT NULL, d_ap DOUBLE NOT NULL, count BIGINT NOT NULL, run_id STRING NOT NULL",
        EvalTables.ERRORS_SCHEMA);
    assertDdl("iou_type STRING NOT NULL, gt_category_id INT, gt_category_name STRING, predicted_category_id INT,"
        + " predicted_category_name STRING, count BIGINT NOT NULL, run_id STRING NOT NULL", EvalTables.CONFUSION_SCHEMA);
  }

  @Test
  void theAggregatesTakeANullableMask() {
    StructType in = Structs.nullable(Structs.MASK);
    assertEquals(java.util.List.of(Structs.MASK.fieldNames()), java.util.List.of(in.fieldNames()));
    for (var f : in.fields()) {
      assertEquals(true, f.nullable(), f.name());
    }
  }

  @Test
  void withoutAColumn() {
    assertEquals(java.util.List.of("image_id", "path", "width", "height", "status", "error", "num_instances",
        "inference_ms", "size_bytes", "modified_at", "etag"),
        java.util.List.of(Tables.without(ImagesTable.SCHEMA, Tables.RUN_ID).fieldNames()));
  }
}
