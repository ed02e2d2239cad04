package io.sparkseg.tables;

import static io.sparkseg.tables.Structs.optional;
import static io.sparkseg.tables.Structs.required;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;

import org.apache.spark.sql.types.StructType;

/**
 * The evaluate command's tables, each partitioned by {@code run_id} under the evaluation output
 * folder: {@link #SUMMARY} (one row per statistic), {@link #PER_CATEGORY} (AP, AP50, AP75, AR at
 * area all and the last maxDet) and {@link #PR_CURVES} (precision and score at every recall
 * threshold, per category, area range and IoU threshold, at the largest maxDet), and for bbox and segm
 * the TIDE-style error analysis at IoU 0.5: {@link #ERRORS} (per error type, overall where the
 * category is null and per category: the AP50 gained by fixing that type, and its count) and
 * {@link #CONFUSION} (detections by ground-truth and predicted category; null is background).
 */
public final class EvalTables {
  private EvalTables() {}

  // the tables' names and folders under the evaluation output
  public static final String SUMMARY = "eval_summary", PER_CATEGORY = "eval_per_category", PR_CURVES = "eval_pr_curves",
      ERRORS = "eval_errors", CONFUSION = "eval_confusion";

  // columns: iou_type is bbox, segm or keypoints; a summary statistic by index and name
  public static final String IOU_TYPE = "iou_type", STAT_INDEX = "stat_index", STAT_NAME = "stat_name", VALUE = "value";
  // per category
  public static final String CATEGORY_ID = InstancesTable.CATEGORY_ID, CATEGORY_NAME = InstancesTable.CATEGORY_NAME,
      AP = "ap", AP50 = "ap50", AP75 = "ap75", AR = "ar";
  // a curve point: area is the area range label (all, small, medium, large)
  public static final String AREA = "area", MAX_DETS = "max_dets", IOU_THRESHOLD = "iou_threshold",
      RECALL_THRESHOLD = "recall_threshold", PRECISION = "precision", SCORE = InstancesTable.SCORE;
  // an error analysis row: error_type is Cls, Loc, Both, Dupe, Bkg or Miss; d_ap the AP50 its fix gains
  public static final String ERROR_TYPE = "error_type", D_AP = "d_ap", COUNT = "count";
  // a confusion cell: null category = background (a detection of nothing, a ground truth missed)
  public static final String GT_CATEGORY_ID = "gt_category_id", GT_CATEGORY_NAME = "gt_category_name",
      PREDICTED_CATEGORY_ID = "predicted_category_id", PREDICTED_CATEGORY_NAME = "predicted_category_name";
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

  public static final StructType ERRORS_SCHEMA = Structs.struct(
      required(IOU_TYPE, StringType), optional(CATEGORY_ID, IntegerType), optional(CATEGORY_NAME, StringType),
      required(ERROR_TYPE, StringType), required(AP50, DoubleType), required(D_AP, DoubleType),
      required(COUNT, LongType), required(RUN_ID, StringType));

  public static final StructType CONFUSION_SCHEMA = Structs.struct(
      required(IOU_TYPE, StringType), optional(GT_CATEGORY_ID, IntegerType), optional(GT_CATEGORY_NAME, StringType),
      optional(PREDICTED_CATEGORY_ID, IntegerType), optional(PREDICTED_CATEGORY_NAME, StringType),
      required(COUNT, LongType), required(RUN_ID, StringType));
}
