package io.sparkseg.udfs;

import io.sparkseg.compat.ScalaApi;
import io.sparkseg.compat.SparkApi;
import io.sparkseg.tables.Structs;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.api.java.UDF5;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * sparkseg's SQL functions over the mask, box and keypoint columns of the result tables.
 *
 * <p>Enable them for every session with {@code --conf
 * spark.sql.extensions=io.sparkseg.udfs.SparksegExtensions}, or call {@link #register} on an
 * existing session. All functions return null when a needed input is null; a malformed mask fails
 * the query with a message naming the function and what is wrong with the value.
 */
public final class SparksegFunctions {
  private SparksegFunctions() {}

  /** One SQL function: its name, documentation and how it is built from its argument columns. */
  public record Definition(String name, String signature, String description, String example,
      int minArgs, int maxArgs, Function<List<Column>, Column> builder) {
    /** The usage text {@code DESCRIBE FUNCTION} shows. */
    public String usage() {
      return signature + " - " + description;
    }
  }

  private static final DataType MASK = Structs.MASK;

  private static final UserDefinedFunction MASK1 =
      udf1("seg_mask", m -> MaskFunctions.mask("seg_mask", m), MASK);
  private static final UserDefinedFunction MASK3 = functions.udf(
      (UDF3<Object, Object, Object, Object>) MaskFunctions::mask, MASK).withName("seg_mask");
  private static final UserDefinedFunction AREA =
      udf1("seg_mask_area", MaskFunctions::area, DataTypes.LongType);
  private static final UserDefinedFunction IOU = functions.udf(
      (UDF3<Object, Object, Object, Double>) MaskFunctions::iou, DataTypes.DoubleType).withName("seg_mask_iou");
  private static final UserDefinedFunction BBOX =
      udf1("seg_mask_bbox", MaskFunctions::bbox, Structs.BBOX);
  private static final UserDefinedFunction UNION =
      udf1("seg_mask_union", m -> MaskFunctions.merge("seg_mask_union", m, false), MASK);
  private static final UserDefinedFunction INTERSECTION =
      udf1("seg_mask_intersection", m -> MaskFunctions.merge("seg_mask_intersection", m, true), MASK);
  private static final UserDefinedFunction UNION_AGG = functions.udaf(
      new MaskMergeAggregator("seg_mask_union_agg", false), Encoders.row(SqlValues.MASK_INPUT))
      .withName("seg_mask_union_agg");
  private static final UserDefinedFunction INTERSECTION_AGG = functions.udaf(
      new MaskMergeAggregator("seg_mask_intersection_agg", true), Encoders.row(SqlValues.MASK_INPUT))
      .withName("seg_mask_intersection_agg");
  private static final UserDefinedFunction UNION_AGG_INPUT =
      udf1("seg_mask_union_agg", m -> MaskFunctions.mask("seg_mask_union_agg", m), MASK);
  private static final UserDefinedFunction INTERSECTION_AGG_INPUT =
      udf1("seg_mask_intersection_agg", m -> MaskFunctions.mask("seg_mask_intersection_agg", m), MASK);
  private static final UserDefinedFunction PNG = functions.udf(
      (UDF2<Object, Object, byte[]>) MaskFunctions::png, DataTypes.BinaryType).withName("seg_mask_to_png");
  private static final UserDefinedFunction TO_POLYGONS =
      udf1("seg_mask_to_polygons", MaskFunctions::polygons, SqlValues.POLYGONS);
  private static final UserDefinedFunction FROM_POLYGONS = functions.udf(
      (UDF3<Object, Object, Object, Object>) MaskFunctions::fromPolygons, MASK).withName("seg_polygons_to_mask");
  private static final UserDefinedFunction FROM_BOX = functions.udf(
      (UDF3<Object, Object, Object, Object>) MaskFunctions::fromBox, MASK).withName("seg_box_to_mask");
  private static final UserDefinedFunction POINT_IN_MASK = functions.udf(
      (UDF3<Object, Object, Object, Boolean>) MaskFunctions::pointInMask, DataTypes.BooleanType)
      .withName("seg_point_in_mask");
  private static final UserDefinedFunction BOX_IOU = functions.udf(
      (UDF3<Object, Object, Object, Double>) MaskFunctions::boxIou, DataTypes.DoubleType).withName("seg_box_iou");
  private static final UserDefinedFunction OKS = functions.udf(
      (UDF5<Object, Object, Object, Object, Object, Double>) MaskFunctions::oks, DataTypes.DoubleType)
      .withName("seg_oks");

  private static <R> UserDefinedFunction udf1(String name, UDF1<Object, R> f, DataType type) {
    return functions.udf(f, type).withName(name);
  }

  private static Column toInt(Column c) {
    return c.cast(DataTypes.IntegerType);
  }

  private static Column toDouble(Column c) {
    return c.cast(DataTypes.DoubleType);
  }

  private static Column arg(List<Column> a, int i, Column dflt) {
    return i < a.size() ? a.get(i) : dflt;
  }

  /** Several mask arguments, or one array of masks, as one array column. */
  private static Column maskArray(List<Column> a, boolean singleIsArray) {
    return singleIsArray ? a.get(0) : functions.array(a.toArray(new Column[0]));
  }

  /**
   * An aggregate's result, null when the group had no mask. (A typed Aggregator cannot return a
   * null struct, so it returns one with null fields, turned into null here; this makes the
   * aggregates expressions over an aggregate, which SQL's FILTER clause does not accept.)
   */
  private static Column nullIfEmpty(Column aggregate) {
    return functions.when(aggregate.getField(Structs.COUNTS).isNotNull(), aggregate);
  }

  /** A mask in any accepted form as the three canonical columns {@code (height, width, counts)}. */
  private static Column[] canonical(UserDefinedFunction parse, Column mask) {
    Column m = parse.apply(mask);
    return new Column[] {m.getField(Structs.HEIGHT), m.getField(Structs.WIDTH), m.getField(Structs.COUNTS)};
  }

  private static final List<Definition> DEFINITIONS = List.of(
      new Definition("seg_mask", "seg_mask(segmentation) | seg_mask(height, width, counts)",
          "a mask struct<height int, width int, counts string> from a COCO RLE: a struct with"
              + " height/width/counts, or COCO's {size: [h, w], counts} as read from JSON; counts may be the"
              + " compressed string or the uncompressed run lengths",
          "SELECT seg_mask(4, 3, array(2, 3, 7)).counts",
          1, 3, a -> a.size() == 3 ? MASK3.apply(toInt(a.get(0)), toInt(a.get(1)), a.get(2))
              : a.size() == 1 ? MASK1.apply(a.get(0)) : null),
      new Definition("seg_mask_area", "seg_mask_area(mask)",
          "the number of pixels in the mask (pycocotools mask.area), bigint",
          "SELECT image_id, instance_index, seg_mask_area(mask) FROM instances",
          1, 1, a -> AREA.apply(a.get(0))),
      new Definition("seg_mask_iou", "seg_mask_iou(dt, gt[, iscrowd])",
          "IoU of mask dt with mask gt as pycocotools mask.iou computes it; when iscrowd is true (default"
              + " false) it is the intersection over dt's area. The masks must have the same size",
          "SELECT a.image_id, seg_mask_iou(a.mask, b.mask) FROM instances a JOIN instances b"
              + " ON a.image_id = b.image_id AND a.instance_index < b.instance_index",
          2, 3, a -> IOU.apply(a.get(0), a.get(1), arg(a, 2, functions.lit(false)).cast(DataTypes.BooleanType))),
      new Definition("seg_mask_bbox", "seg_mask_bbox(mask)",
          "the tight box of the mask's pixels as struct<x, y, width, height> (pycocotools toBbox; all"
              + " zero for an empty mask)",
          "SELECT seg_mask_bbox(mask).width FROM instances",
          1, 1, a -> BBOX.apply(a.get(0))),
      new Definition("seg_mask_union", "seg_mask_union(mask1, mask2, ...) | seg_mask_union(array_of_masks)",
          "the union of masks of one size (pycocotools merge); null masks are skipped, none give null",
          "SELECT seg_mask_union(a.mask, b.mask) FROM ...",
          1, Integer.MAX_VALUE, a -> UNION.apply(maskArray(a, false))),
      new Definition("seg_mask_intersection",
          "seg_mask_intersection(mask1, mask2, ...) | seg_mask_intersection(array_of_masks)",
          "the intersection of masks of one size (pycocotools merge with intersect=True); null masks"
              + " are skipped, none give null",
          "SELECT seg_mask_area(seg_mask_intersection(a.mask, b.mask)) FROM ...",
          1, Integer.MAX_VALUE, a -> INTERSECTION.apply(maskArray(a, false))),
      new Definition("seg_mask_union_agg", "seg_mask_union_agg(mask)",
          "aggregate: the union of all masks in the group (null masks skipped; masks of one group must have"
              + " one size)",
          "SELECT image_id, seg_mask_area(seg_mask_union_agg(mask)) AS covered FROM instances GROUP BY image_id",
          1, 1, a -> nullIfEmpty(UNION_AGG.apply(canonical(UNION_AGG_INPUT, a.get(0))))),
      new Definition("seg_mask_intersection_agg", "seg_mask_intersection_agg(mask)",
          "aggregate: the intersection of all masks in the group",
          "SELECT image_id, seg_mask_intersection_agg(mask) FROM instances GROUP BY image_id, category_id",
          1, 1, a -> nullIfEmpty(INTERSECTION_AGG.apply(canonical(INTERSECTION_AGG_INPUT, a.get(0))))),
      new Definition("seg_mask_to_png", "seg_mask_to_png(mask[, color])",
          "the mask as a 1-bit PNG (binary): black/white, or with color '#RRGGBB[AA]' that colour on a"
              + " transparent background, to lay over the image",
          "SELECT base64(seg_mask_to_png(mask, '#ff000080')) FROM instances",
          1, 2, a -> PNG.apply(a.get(0), arg(a, 1, functions.lit(null).cast(DataTypes.StringType)))),
      new Definition("seg_mask_to_polygons", "seg_mask_to_polygons(mask)",
          "the outer contours of the mask as array<array<double>>, each a flat [x1, y1, x2, y2, ...] list"
              + " of pixel corners (one per 4-connected component, holes filled), as COCO polygon"
              + " segmentations and GIS tools take them",
          "SELECT seg_mask_to_polygons(mask) FROM instances",
          1, 1, a -> TO_POLYGONS.apply(a.get(0))),
      new Definition("seg_polygons_to_mask", "seg_polygons_to_mask(polygons, height, width)",
          "COCO polygons (array of flat [x1, y1, ...] lists) rasterised into a mask as pycocotools"
              + " frPyObjects + merge does",
          "SELECT seg_polygons_to_mask(array(array(2, 2, 6, 2, 6, 6, 2, 6)), 10, 10)",
          3, 3, a -> FROM_POLYGONS.apply(
              a.get(0).cast(DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.DoubleType))),
              toInt(a.get(1)), toInt(a.get(2)))),
      new Definition("seg_box_to_mask", "seg_box_to_mask(bbox, height, width)",
          "a box (struct<x, y, width, height> or [x, y, w, h]) rasterised into a mask as pycocotools"
              + " frPyObjects does",
          "SELECT seg_box_to_mask(bbox, mask.height, mask.width) FROM instances",
          3, 3, a -> FROM_BOX.apply(a.get(0), toInt(a.get(1)), toInt(a.get(2)))),
      new Definition("seg_point_in_mask", "seg_point_in_mask(mask, x, y)",
          "whether the pixel containing point (x, y) (pixel floor(x), floor(y)) is in the mask; false"
              + " outside the image",
          "SELECT image_id, instance_index FROM instances WHERE seg_point_in_mask(mask, 120.5, 80)",
          3, 3, a -> POINT_IN_MASK.apply(a.get(0), toDouble(a.get(1)), toDouble(a.get(2)))),
      new Definition("seg_box_iou", "seg_box_iou(dt, gt[, iscrowd])",
          "IoU of two boxes (struct<x, y, width, height> or [x, y, w, h]) as pycocotools computes it (no"
              + " +1); when iscrowd is true, the intersection over dt's area",
          "SELECT seg_box_iou(a.bbox, b.bbox) FROM ...",
          2, 3, a -> BOX_IOU.apply(a.get(0), a.get(1), arg(a, 2, functions.lit(false)).cast(DataTypes.BooleanType))),
      new Definition("seg_oks", "seg_oks(gt_keypoints, dt_keypoints, area[, sigmas[, gt_bbox]])",
          "COCO object keypoint similarity: the mean over the GT keypoints with v > 0 of"
              + " exp(-d^2 / (2 sigma)^2 / (area + eps) / 2). Keypoints are array<struct<x, y, score>> (the"
              + " third field of the GT is its visibility) or flat [x1, y1, v1, ...] arrays; sigmas default"
              + " to COCO's 17 person sigmas. If the GT has no visible keypoint, distances are taken to the box"
              + " around gt_bbox as pycocotools does (null without gt_bbox)",
          "SELECT seg_oks(a.keypoints, b.keypoints, a.mask_area) FROM ...",
          3, 5, a -> OKS.apply(a.get(0), a.get(1), toDouble(a.get(2)),
              arg(a, 3, functions.lit(null)).cast(DataTypes.createArrayType(DataTypes.DoubleType)),
              arg(a, 4, functions.lit(null)))));

  /** All function definitions. */
  public static List<Definition> definitions() {
    return DEFINITIONS;
  }

  /** The SQL names of all functions. */
  public static List<String> names() {
    List<String> n = new ArrayList<>();
    for (Definition d : DEFINITIONS) {
      n.add(d.name());
    }
    return Collections.unmodifiableList(n);
  }

  /** Registers all functions in the session (temporary functions, visible in SQL and {@code expr}). */
  public static void register(SparkSession spark) {
    FunctionRegistry registry = SparkApi.functionRegistry(spark);
    for (Definition d : DEFINITIONS) {
      registry.registerFunction(identifier(d), info(d), ScalaApi.functionBuilder(a -> build(d, a)));
    }
  }

  /** The catalyst name of a definition. */
  static FunctionIdentifier identifier(Definition d) {
    return FunctionIdentifier.apply(d.name());
  }

  /** The catalyst documentation of a definition ({@code DESCRIBE FUNCTION}). */
  static ExpressionInfo info(Definition d) {
    return new ExpressionInfo(SparksegFunctions.class.getName(), null, d.name(), d.usage(),
        "\n    Arguments: see usage.\n    Example:\n      > " + d.example() + "\n");
  }

  /** The expression a call of a definition with these argument expressions stands for. */
  static Expression build(Definition d, List<Expression> exprs) {
    int n = exprs.size();
    if (n < d.minArgs() || n > d.maxArgs()) {
      String want = d.minArgs() == d.maxArgs() ? String.valueOf(d.minArgs())
          : d.maxArgs() == Integer.MAX_VALUE ? "at least " + d.minArgs()
          : d.minArgs() + " to " + d.maxArgs();
      throw new IllegalArgumentException(d.name() + " takes " + want + " argument" + (want.equals("1") ? "" : "s")
          + " but got " + n + ": " + d.signature());
    }
    List<Column> cols = new ArrayList<>(n);
    for (Expression e : exprs) {
      cols.add(SparkApi.column(e));
    }
    if ((d.name().equals("seg_mask_union") || d.name().equals("seg_mask_intersection")) && n == 1
        && exprs.get(0).resolved() && exprs.get(0).dataType() instanceof org.apache.spark.sql.types.ArrayType) {
      UserDefinedFunction f = d.name().equals("seg_mask_union") ? UNION : INTERSECTION;
      return unwrap(SparkApi.expression(f.apply(cols.get(0))));
    }
    Column c = d.builder().apply(cols);
    if (c == null) {
      throw new IllegalArgumentException(d.name() + ": wrong number of arguments (" + n + "): " + d.signature());
    }
    return unwrap(SparkApi.expression(c));
  }

  private static Expression unwrap(Expression e) {
    // let the analyzer wrap aggregate functions itself (so DISTINCT and FILTER work)
    return e instanceof AggregateExpression ae ? ae.aggregateFunction() : e;
  }
}
