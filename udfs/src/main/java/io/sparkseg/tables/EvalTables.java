package io.sparkseg.tables;

import static io.sparkseg.tables.Structs.optional;
import static io.sparkseg.tables.Structs.required;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import org.apache.spark.sql.types.StructType;

/**
 * The evaluate command's tables, each partitioned by {@code run_id} under the evaluation output
 * folder: {@link #SUMMARY} (one row per statistic), {@link #PER_CATEGORY} (AP, AP50, AP75, AR at
 * area all and the last maxDet) and {@link #PR_CURVES} (precision and score at every recall
 * threshold, per category, area range and IoU threshold, at the largest maxDet).
 */
public final class EvalTables {
  private EvalTables() {}

  // the tables' names and folders under the evaluation output
  public static final String SUMMARY = "eval_summary", PER_CATEGORY = "eval_per_category", PR_CURVES = "eval_pr_curves";

  // columns: iou_type is bbox, segm or keypoints; a summary statistic by index and name
  public static final String IOU_TYPE = "iou_type", STAT_INDEX = "stat_index", STAT_NAME = "stat_name", VALUE = "value";
  // per category
  public static final String CATEGORY_ID = InstancesTable.CATEGORY_ID, CATEGORY_NAME = InstancesTable.CATEGORY_NAME,
      AP = "ap", AP50 = "ap50", AP75 = "ap75", AR = "ar";
  // a curve point: area is the area range label (all, small, medium, large)
  public static final String AREA = "area", MAX_DETS = "max_dets", IOU_THRESHOLD = "iou_threshold",
      RECALL_THRESHOLD = "recall_threshold", PRECISION = "precision", SCORE = InstancesTable.SCORE;
  public static final String RUN_ID = Tables.RUN_ID;

  public static final StructType SUMMARY_SCHEMA = Structs.struct(
      required(IOU_TYPE, StringType), required(STAT_INDEX, IntegerType), required(STAT_NAME, StringType),
      required(VALUE, DoubleType), required(RUN_ID, StringType));

  public static final StructType PER_CATEGORY_SCHEMA = Structs.struct(
      required(IOU_TYPE, StringType), required(CATEGORY_ID, IntegerType), optional(CATEGORY_NAME, StringType),
      required(AP, DoubleType), required(AP50, DoubleType), required(AP75, DoubleType), required(AR, DoubleType),
      required(RUN_ID, StringType));

  public static final StructType PR_CURVES_SCHEMA = Structs.struct(
      required(IOU_TYPE, StringType), required(CATEGORY_ID, IntegerType), required(AREA, StringType),
      required(MAX_DETS, IntegerType), required(IOU_THRESHOLD, DoubleType), required(RECALL_THRESHOLD, DoubleType),
      required(PRECISION, DoubleType), required(SCORE, DoubleType), required(RUN_ID, StringType));
}
