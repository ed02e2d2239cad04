package io.sparkseg.job.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.model.ModelBundle;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.output.OutputLayout;
import io.sparkseg.tables.Tables;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The SQL functions on the segment job's real output of sample images (registered with {@code
 * SparksegFunctions.register} on the shared session): consistency with the columns the job wrote.
 */
@Tag("smoke")
class FunctionsOnJobOutputTest {
  private static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = Fixtures.spark();
    ResultFixture fx = Fixtures.results();
    assertTrue(fx.jobInstances > 0, "the segment job found no instances on the sample images with the embedded"
        + " bundle, so there is nothing to check the functions on");
    spark.read().parquet(new OutputLayout(fx.output.toString()).instances())
        .where(Tables.RUN_ID + " = '" + ResultFixture.JOB_A + "'").createOrReplaceTempView("job_instances");
  }

  private static Row one(String sql) {
    return spark.sql(sql).collectAsList().get(0);
  }

  @Test
  void areaBboxIouAndPolygonsAgreeWithTheJobsColumns() {
    // masks are pasted into the box enlarged by the bundle's mask box scale, so they may reach past it by
    // this fraction of its width on each side
    double margin = (ModelBundle.load(TestSpark.modelDir()).maskBoxScale() - 1.0) / 2.0;
    Row r = one("SELECT count(*),"
        + " count_if(seg_mask_area(mask) <> mask_area),"
        + " count_if(mask_area > 0 AND seg_mask_iou(mask, mask) <> 1.0),"
        // the mask's own box lies within the (enlarged) model's box, up to the pixel grid
        + " count_if(mask_area > 0 AND (seg_mask_bbox(mask).x < floor(bbox.x - " + margin + " * bbox.width) - 1"
        + "   OR seg_mask_bbox(mask).x + seg_mask_bbox(mask).width"
        + "     > ceil(bbox.x + bbox.width + " + margin + " * bbox.width) + 1)),"
        // outer contours rasterise back to a superset (holes filled) with the same pixels plus holes
        + " count_if(mask_area > 0 AND seg_mask_area(seg_mask_intersection(mask,"
        + "   seg_polygons_to_mask(seg_mask_to_polygons(mask), mask.height, mask.width))) <> mask_area),"
        + " count_if(mask_area > 0 AND seg_mask_iou(mask, seg_box_to_mask(bbox, mask.height, mask.width)) <= 0)"
        + " FROM job_instances");
    assertTrue(r.getLong(0) > 0, "the job found no instances");
    for (int i = 1; i < r.length(); i++) {
      assertEquals(0L, r.getLong(i), "check " + i + " failed on " + r.getLong(0) + " instances");
    }
  }

  @Test
  void unionAggregateAndPointInMask() {
    // union of an image's masks: at least the largest, at most the sum
    Row r = one("SELECT count_if(u < m OR u > s) FROM (SELECT image_id, seg_mask_area(seg_mask_union_agg(mask)) AS u,"
        + " max(mask_area) AS m, sum(mask_area) AS s FROM job_instances GROUP BY image_id)");
    assertEquals(0L, r.getLong(0));
    // the first corner of the first polygon is the top-left corner of a mask pixel
    Row p = one("SELECT count_if(NOT seg_point_in_mask(mask, poly[0] + 0.5, poly[1] + 0.5)), count(*) FROM"
        + " (SELECT mask, seg_mask_to_polygons(mask)[0] AS poly FROM job_instances WHERE mask_area > 0)");
    assertEquals(0L, p.getLong(0));
  }

  @Test
  void pngAndKeypoints() throws Exception {
    List<Row> rows = spark.sql("SELECT mask.width, mask.height, seg_mask_to_png(mask, '#ff000080') FROM job_instances"
        + " WHERE mask_area > 0 LIMIT 3").collectAsList();
    for (Row r : rows) {
      BufferedImage img = ImageIO.read(new ByteArrayInputStream((byte[]) r.get(2)));
      assertEquals(r.getInt(0), img.getWidth());
      assertEquals(r.getInt(1), img.getHeight());
    }
    Row k = one("SELECT count(*), count_if(abs(seg_oks(keypoints, keypoints, mask_area,"
        + " array_repeat(0.05D, size(keypoints))) - 1) > 1e-12) FROM job_instances"
        + " WHERE keypoints IS NOT NULL AND exists(keypoints, k -> k.score > 0) AND mask_area > 0");
    assertEquals(0L, k.getLong(1), "OKS of keypoints with themselves is 1");
  }
}
