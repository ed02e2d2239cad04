package io.sparkseg.job.report;

import static io.sparkseg.tables.ImagesTable.INFERENCE_MS;
import static io.sparkseg.tables.ImagesTable.NUM_INSTANCES;
import static io.sparkseg.tables.ImagesTable.PATH;
import static io.sparkseg.tables.ImagesTable.STATUS;
import static io.sparkseg.tables.InstancesTable.BBOX;
import static io.sparkseg.tables.InstancesTable.CATEGORY_ID;
import static io.sparkseg.tables.InstancesTable.CATEGORY_NAME;
import static io.sparkseg.tables.InstancesTable.IMAGE_ID;
import static io.sparkseg.tables.InstancesTable.KEYPOINTS;
import static io.sparkseg.tables.InstancesTable.MASK;
import static io.sparkseg.tables.InstancesTable.MASK_AREA;
import static io.sparkseg.tables.InstancesTable.MODEL_NAME;
import static io.sparkseg.tables.InstancesTable.MODEL_VERSION;
import static io.sparkseg.tables.InstancesTable.SCORE;

import io.sparkseg.core.mask.Rle;
import io.sparkseg.job.evaluate.EvalOutputs;
import io.sparkseg.job.output.format.RunTableSource;
import io.sparkseg.tables.EvalTables;
import io.sparkseg.tables.ImagesTable;
import io.sparkseg.tables.Tables;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.FileStatusCache$;
import org.apache.spark.sql.functions;

/**
 * The report's SQL: one run's tables opened as temporary views (dropped on {@link #close}), and
 * the queries behind each section, returning plain values.
 */
final class ReportQueries implements AutoCloseable {
  private static final AtomicLong VIEWS = new AtomicLong();

  /** Image counts and inference latency (ms; NaN where there is none) of the run. */
  record Totals(long images, long ok, long failed, long instances, double meanMs, double p50Ms, double p95Ms) {}

  record Model(String name, String version) {}

  record StatusCount(String status, long images) {}

  record Failure(String status, String path, String error) {}

  /** One class: instances, images, mean score, median mask area, instances at or above the minimum score. */
  record ClassStats(int id, String name, long instances, long images, double meanScore, double medianMaskArea,
      long atMinScore) {}

  record Stat(String iouType, String name, double value) {}

  /** AP figures of one category; name is null when the ground truth has none. */
  record CategoryAp(String iouType, int categoryId, String name, double ap, double ap50, double ap75, double ar) {}

  /** A precision-recall curve point; iouThreshold is rounded to two decimals. */
  record PrPoint(String iouType, int categoryId, double iouThreshold, double recall, double precision) {}

  /** A curve point of one category and area range at IoU 0.5. */
  record AreaPrPoint(String iouType, int categoryId, String area, double recall, double precision) {}

  /** An eval_errors row: categoryId null is the whole evaluation. */
  record ErrorRow(String iouType, Integer categoryId, String name, String errorType, double ap50, double dAp,
      long count) {}

  /** An eval_confusion cell: a null category is background. */
  record ConfusionRow(String iouType, Integer gtId, String gtName, Integer predictedId, String predictedName,
      long count) {}

  private final SparkSession spark;
  private final String runId;
  private final String prefix;
  private final List<String> views = new ArrayList<>();
  private final String images;
  private final String instances;
  private String summary;
  private String perCategory;
  private String curves;
  private String errors;
  private String confusion;

  /** Opens the run's committed instances and images rows. */
  ReportQueries(SparkSession spark, RunTableSource tables, String runId) {
    this.spark = spark;
    this.runId = runId;
    this.prefix = "sparkseg_report_" + VIEWS.incrementAndGet();
    // a report is often made in the session that just wrote the run: drop the session's cached
    // file listings, or the new run_id partition may not be seen
    FileStatusCache$.MODULE$.getOrCreate(spark).invalidateAll();
    images = view(tables.images(runId), "images");
    instances = view(tables.instances(runId), "instances");
  }

  /** Opens the evaluation tables under the evaluate command's output folder; fails if one cannot be read. */
  void openEvaluation(String evalOutput) {
    summary = view(EvalOutputs.tablePath(evalOutput, EvalTables.SUMMARY), EvalTables.SUMMARY);
    perCategory = view(EvalOutputs.tablePath(evalOutput, EvalTables.PER_CATEGORY), EvalTables.PER_CATEGORY);
    curves = view(EvalOutputs.tablePath(evalOutput, EvalTables.PR_CURVES), EvalTables.PR_CURVES);
  }

  /**
   * Opens the error analysis tables under the evaluate command's output folder; false when it has
   * none (written before the evaluate command had them).
   */
  boolean openErrors(String evalOutput) {
    String e = EvalOutputs.tablePath(evalOutput, EvalTables.ERRORS);
    String c = EvalOutputs.tablePath(evalOutput, EvalTables.CONFUSION);
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(e);
      if (!p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p)) {
        return false;
      }
    } catch (java.io.IOException x) {
      throw new java.io.UncheckedIOException("cannot look for " + e, x);
    }
    errors = view(e, EvalTables.ERRORS);
    confusion = view(c, EvalTables.CONFUSION);
    return true;
  }

  private String view(String path, String table) {
    return view(spark.read().parquet(path).where(functions.col(Tables.RUN_ID).equalTo(runId)), table);
  }

  private String view(Dataset<Row> rows, String table) {
    String name = prefix + "_" + table;
    rows.createOrReplaceTempView(name);
    views.add(name);
    return name;
  }

  @Override
  public void close() {
    views.forEach(spark.catalog()::dropTempView);
  }

  private List<Row> sql(String q) {
    return spark.sql(q).collectAsList();
  }

  private static double num(Row r, int i) {
    return r.isNullAt(i) ? Double.NaN : ((Number) r.get(i)).doubleValue();
  }

  Totals totals() {
    Row t = sql("SELECT count(*), count_if(" + STATUS + " = 'ok'), count_if(" + STATUS + " <> 'ok'), sum("
        + NUM_INSTANCES + "), avg(" + INFERENCE_MS + "), percentile(" + INFERENCE_MS + ", 0.5), percentile("
        + INFERENCE_MS + ", 0.95) FROM " + images).get(0);
    return new Totals(t.getLong(0), t.getLong(1), t.getLong(2), t.isNullAt(3) ? 0 : t.getLong(3), num(t, 4),
        num(t, 5), num(t, 6));
  }

  /** The models behind the run's instances, the most used first. */
  List<Model> models() {
    List<Model> out = new ArrayList<>();
    for (Row m : sql("SELECT " + MODEL_NAME + ", " + MODEL_VERSION + ", count(*) FROM " + instances
        + " GROUP BY 1, 2 ORDER BY 3 DESC")) {
      out.add(new Model(m.getString(0), m.getString(1)));
    }
    return out;
  }

  long classCount() {
    return sql("SELECT count(DISTINCT " + CATEGORY_ID + ") FROM " + instances).get(0).getLong(0);
  }

  /** Inference times of the segmented images, ascending. */
  double[] okLatencies() {
    return sql("SELECT " + INFERENCE_MS + " FROM " + images + " WHERE " + STATUS + " = 'ok' AND " + INFERENCE_MS
        + " IS NOT NULL").stream().mapToDouble(r -> r.getDouble(0)).sorted().toArray();
  }

  /** Images per status, the most frequent first. */
  List<StatusCount> statusCounts() {
    List<StatusCount> out = new ArrayList<>();
    for (Row r : sql("SELECT " + STATUS + ", count(*) FROM " + images + " GROUP BY " + STATUS + " ORDER BY 2 DESC")) {
      out.add(new StatusCount(r.getString(0), r.getLong(1)));
    }
    return out;
  }

  /** Up to {@code limit} images that were not segmented, by status and path. */
  List<Failure> failures(int limit) {
    List<Failure> out = new ArrayList<>();
    for (Row r : sql("SELECT " + STATUS + ", " + PATH + ", " + ImagesTable.ERROR + " FROM " + images + " WHERE "
        + STATUS + " <> 'ok' ORDER BY " + STATUS + ", " + PATH + " LIMIT " + limit)) {
      out.add(new Failure(r.getString(0), r.getString(1), r.getString(2)));
    }
    return out;
  }

  /** Per class, the most instances first. */
  List<ClassStats> classes(double minScore) {
    List<ClassStats> out = new ArrayList<>();
    for (Row r : sql("SELECT " + CATEGORY_ID + ", " + CATEGORY_NAME + ", count(*), count(DISTINCT " + IMAGE_ID
        + "), avg(" + SCORE + "), percentile(" + MASK_AREA + ", 0.5), count_if(" + SCORE + " >= " + minScore
        + ") FROM " + instances + " GROUP BY " + CATEGORY_ID + ", " + CATEGORY_NAME + " ORDER BY 3 DESC, 1")) {
      out.add(new ClassStats(r.getInt(0), r.getString(1), r.getLong(2), r.getLong(3), num(r, 4), num(r, 5),
          r.getLong(6)));
    }
    return out;
  }

  /** Instances per score bin [i/20, (i+1)/20), 20 bins. */
  double[] scoreHistogram() {
    double[] counts = new double[20];
    for (Row r : sql("SELECT least(CAST(floor(" + SCORE + " * 20) AS INT), 19), count(*) FROM " + instances
        + " GROUP BY 1")) {
      counts[Math.max(0, r.getInt(0))] = r.getLong(1);
    }
    return counts;
  }

  /** Up to {@code samples} images: the best-scoring of each class in turn, so every class shows up. */
  Set<Long> sampleImages(double minScore, int samples) {
    List<Row> ranked = sql("SELECT " + IMAGE_ID + ", r FROM (SELECT " + IMAGE_ID + ", " + CATEGORY_ID
        + ", row_number() OVER (PARTITION BY " + CATEGORY_ID + " ORDER BY s DESC, " + IMAGE_ID + ") AS r, s FROM"
        + " (SELECT " + IMAGE_ID + ", " + CATEGORY_ID + ", max(" + SCORE + ") AS s FROM " + instances + " WHERE "
        + SCORE + " >= " + minScore + " GROUP BY 1, 2)) WHERE r <= " + samples + " ORDER BY r, s DESC, " + IMAGE_ID);
    Set<Long> ids = new LinkedHashSet<>();
    for (Row r : ranked) {
      if (ids.size() >= samples) {
        break;
      }
      ids.add(r.getLong(0));
    }
    return ids;
  }

  /** The paths of images by id. */
  Map<Long, String> paths(Set<Long> ids) {
    Map<Long, String> out = new LinkedHashMap<>();
    for (Row r : sql("SELECT " + IMAGE_ID + ", " + PATH + " FROM " + images + " WHERE " + IMAGE_ID + " IN ("
        + in(ids) + ")")) {
      out.put(r.getLong(0), r.getString(1));
    }
    return out;
  }

  /** The instances of images with at least {@code minScore}, at most {@code most} per image, the best first. */
  Map<Long, List<Overlay.Shape>> shapes(Set<Long> ids, double minScore, int most) {
    Map<Long, List<Overlay.Shape>> shapes = new TreeMap<>();
    for (Row r : sql("SELECT " + IMAGE_ID + ", " + CATEGORY_ID + ", " + CATEGORY_NAME + ", " + SCORE + ", " + BBOX
        + ", " + MASK + ", " + KEYPOINTS + " FROM " + instances + " WHERE " + SCORE + " >= " + minScore + " AND "
        + IMAGE_ID + " IN (" + in(ids) + ") ORDER BY " + IMAGE_ID + ", " + SCORE + " DESC")) {
      List<Overlay.Shape> l = shapes.computeIfAbsent(r.getLong(0), k -> new ArrayList<>());
      if (l.size() < most) {
        l.add(shape(r));
      }
    }
    return shapes;
  }

  private static Overlay.Shape shape(Row r) {
    Row b = r.getStruct(4);
    Row m = r.getStruct(5);
    float[] kps = null;
    if (!r.isNullAt(6)) {
      List<Row> k = r.getList(6);
      kps = new float[3 * k.size()];
      for (int j = 0; j < k.size(); j++) {
        kps[3 * j] = k.get(j).getFloat(0);
        kps[3 * j + 1] = k.get(j).getFloat(1);
        kps[3 * j + 2] = k.get(j).getFloat(2);
      }
    }
    return new Overlay.Shape(r.getInt(1), r.getString(2), r.getFloat(3),
        new double[] {b.getDouble(0), b.getDouble(1), b.getDouble(2), b.getDouble(3)},
        Rle.fromCompressedString(m.getInt(0), m.getInt(1), m.getString(2)), kps);
  }

  private static String in(Set<Long> ids) {
    return ids.stream().map(String::valueOf).reduce((a, b) -> a + ", " + b).orElse("");
  }

  /** The summary statistics, by iouType and index. */
  List<Stat> stats() {
    List<Stat> out = new ArrayList<>();
    for (Row r : sql("SELECT " + EvalTables.IOU_TYPE + ", " + EvalTables.STAT_INDEX + ", " + EvalTables.STAT_NAME
        + ", " + EvalTables.VALUE + " FROM " + summary + " ORDER BY " + EvalTables.IOU_TYPE + ", "
        + EvalTables.STAT_INDEX)) {
      out.add(new Stat(r.getString(0), r.getString(2), r.getDouble(3)));
    }
    return out;
  }

  /** Per category and iouType, the best AP first. */
  List<CategoryAp> perCategory() {
    List<CategoryAp> out = new ArrayList<>();
    for (Row r : sql("SELECT " + EvalTables.IOU_TYPE + ", " + EvalTables.CATEGORY_ID + ", " + EvalTables.CATEGORY_NAME
        + ", " + EvalTables.AP + ", " + EvalTables.AP50 + ", " + EvalTables.AP75 + ", " + EvalTables.AR + " FROM "
        + perCategory + " ORDER BY " + EvalTables.IOU_TYPE + ", " + EvalTables.AP + " DESC")) {
      out.add(new CategoryAp(r.getString(0), r.getInt(1), r.isNullAt(2) ? null : r.getString(2), r.getDouble(3),
          r.getDouble(4), r.getDouble(5), r.getDouble(6)));
    }
    return out;
  }

  /** The curves at area all and IoU 0.5 and 0.75, by iouType, threshold, category and recall. */
  List<PrPoint> prCurves() {
    String iou = EvalTables.IOU_THRESHOLD;
    List<PrPoint> out = new ArrayList<>();
    for (Row r : sql("SELECT " + EvalTables.IOU_TYPE + ", " + EvalTables.CATEGORY_ID + ", round(" + iou + ", 2) AS t, "
        + EvalTables.RECALL_THRESHOLD + ", " + EvalTables.PRECISION + " FROM " + curves + " WHERE " + EvalTables.AREA
        + " = 'all' AND " + EvalTables.PRECISION + " >= 0 AND (abs(" + iou + " - 0.5) < 1e-9 OR abs(" + iou
        + " - 0.75) < 1e-9) ORDER BY " + EvalTables.IOU_TYPE + ", t, " + EvalTables.CATEGORY_ID + ", "
        + EvalTables.RECALL_THRESHOLD)) {
      out.add(new PrPoint(r.getString(0), r.getInt(1), r.getDouble(2), r.getDouble(3), r.getDouble(4)));
    }
    return out;
  }

  /** Per category, area range and iouType, the curve at IoU 0.5. */
  List<AreaPrPoint> areaPrCurves() {
    List<AreaPrPoint> out = new ArrayList<>();
    for (Row r : sql("SELECT " + EvalTables.IOU_TYPE + ", " + EvalTables.CATEGORY_ID + ", " + EvalTables.AREA + ", "
        + EvalTables.RECALL_THRESHOLD + ", " + EvalTables.PRECISION + " FROM " + curves + " WHERE "
        + EvalTables.PRECISION + " >= 0 AND abs(" + EvalTables.IOU_THRESHOLD + " - 0.5) < 1e-9 ORDER BY "
        + EvalTables.IOU_TYPE + ", " + EvalTables.CATEGORY_ID + ", " + EvalTables.AREA + ", "
        + EvalTables.RECALL_THRESHOLD)) {
      out.add(new AreaPrPoint(r.getString(0), r.getInt(1), r.getString(2), r.getDouble(3), r.getDouble(4)));
    }
    return out;
  }

  /** The error analysis rows, by iouType, the whole evaluation first, then by category. */
  List<ErrorRow> errorRows() {
    List<ErrorRow> out = new ArrayList<>();
    for (Row r : sql("SELECT " + EvalTables.IOU_TYPE + ", " + EvalTables.CATEGORY_ID + ", " + EvalTables.CATEGORY_NAME
        + ", " + EvalTables.ERROR_TYPE + ", " + EvalTables.AP50 + ", " + EvalTables.D_AP + ", " + EvalTables.COUNT
        + " FROM " + errors + " ORDER BY " + EvalTables.IOU_TYPE + ", " + EvalTables.CATEGORY_ID + " NULLS FIRST")) {
      out.add(new ErrorRow(r.getString(0), r.isNullAt(1) ? null : r.getInt(1), r.isNullAt(2) ? null : r.getString(2),
          r.getString(3), r.getDouble(4), r.getDouble(5), r.getLong(6)));
    }
    return out;
  }

  /** The confusion cells by iouType. */
  List<ConfusionRow> confusion() {
    List<ConfusionRow> out = new ArrayList<>();
    for (Row r : sql("SELECT " + EvalTables.IOU_TYPE + ", " + EvalTables.GT_CATEGORY_ID + ", "
        + EvalTables.GT_CATEGORY_NAME + ", " + EvalTables.PREDICTED_CATEGORY_ID + ", "
        + EvalTables.PREDICTED_CATEGORY_NAME + ", " + EvalTables.COUNT + " FROM " + confusion + " ORDER BY "
        + EvalTables.IOU_TYPE)) {
      out.add(new ConfusionRow(r.getString(0), r.isNullAt(1) ? null : r.getInt(1), r.isNullAt(2) ? null : r.getString(2),
          r.isNullAt(3) ? null : r.getInt(3), r.isNullAt(4) ? null : r.getString(4), r.getLong(5)));
    }
    return out;
  }
}
