package io.sparkseg.job.evaluate;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.sparkseg.core.coco.CocoCategory;
import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.errors.ErrorSummary;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.EvalResult;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.job.fs.HadoopFiles;
import io.sparkseg.tables.EvalTables;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Writes evaluation results: the summary JSON ({@code {"bbox": {"stats": [...], "per_category":
 * {...}, "errors": {...}}, ...}}) and the {@link EvalTables} under an output directory (the error
 * analysis through {@link ErrorOutputs}). Writing a run replaces only that run's partition.
 */
public final class EvalOutputs {
  /** Names of the 12 bbox/segm statistics, in {@code stats} order. */
  public static final List<String> DET_STAT_NAMES = List.of("AP", "AP50", "AP75", "AP_small", "AP_medium",
      "AP_large", "AR1", "AR10", "AR100", "AR_small", "AR_medium", "AR_large");
  /** Names of the 10 keypoint statistics, in {@code stats} order. */
  public static final List<String> KPT_STAT_NAMES =
      List.of("AP", "AP50", "AP75", "AP_medium", "AP_large", "AR", "AR50", "AR75", "AR_medium", "AR_large");

  private EvalOutputs() {}

  /** Where table {@code table} (an {@link EvalTables} name) of an evaluation output folder is. */
  public static String tablePath(String dir, String table) {
    return (dir.endsWith("/") ? dir : dir + "/") + table;
  }

  /** The statistic names of an iouType. */
  public static List<String> statNames(IouType t) {
    return t == IouType.KEYPOINTS ? KPT_STAT_NAMES : DET_STAT_NAMES;
  }

  /** Writes the summary JSON to a Hadoop FS path. */
  public static void writeSummaryJson(Configuration conf, String uri, Map<IouType, EvalSummary> results,
      Map<IouType, String> rankedBy, Map<IouType, ErrorSummary> errors) throws IOException {
    try (OutputStream out = HadoopFiles.create(conf, uri)) {
      writeSummaryJson(out, results, rankedBy, errors);
    }
  }

  /**
   * Writes the summary JSON; {@code rankedBy} names the score column behind each iouType (absent:
   * score), {@code errors} holds the error analysis of the iouTypes that have one.
   */
  public static void writeSummaryJson(OutputStream out, Map<IouType, EvalSummary> results,
      Map<IouType, String> rankedBy, Map<IouType, ErrorSummary> errors) throws IOException {
    try (JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      for (Map.Entry<IouType, EvalSummary> e : results.entrySet()) {
        g.writeObjectFieldStart(e.getKey().cocoName());
        g.writeStringField("ranked_by", rankedBy.getOrDefault(e.getKey(), "score"));
        double[] stats = e.getValue().stats();
        g.writeFieldName("stats");
        g.writeArray(stats, 0, stats.length);
        g.writeObjectFieldStart("stat_names");
        List<String> names = statNames(e.getKey());
        for (int i = 0; i < stats.length; i++) {
          g.writeNumberField(names.get(i), stats[i]);
        }
        g.writeEndObject();
        g.writeObjectFieldStart("per_category");
        for (EvalSummary.CategoryStats c : e.getValue().perCategory().values()) {
          g.writeObjectFieldStart(Integer.toString(c.categoryId()));
          g.writeNumberField("AP", c.ap());
          g.writeNumberField("AP50", c.ap50());
          g.writeNumberField("AP75", c.ap75());
          g.writeNumberField("AR", c.ar());
          g.writeEndObject();
        }
        g.writeEndObject();
        if (errors.containsKey(e.getKey())) {
          ErrorOutputs.writeJson(g, errors.get(e.getKey()));
        }
        g.writeEndObject();
      }
      g.writeEndObject();
    }
  }

  /** Writes the tables for one run under {@code dir}; {@code errors} as in the summary JSON. */
  public static void writeTables(SparkSession spark, String dir, String runId, CocoDataset gt,
      Map<IouType, EvalSummary> results, Map<IouType, ErrorSummary> errors) {
    List<Row> errorRows = new ArrayList<>();
    List<Row> confusionRows = new ArrayList<>();
    errors.forEach((t, e) -> {
      ErrorOutputs.errorRows(t.cocoName(), e, gt, runId, errorRows);
      ErrorOutputs.confusionRows(t.cocoName(), e, gt, runId, confusionRows);
    });
    write(spark, errorRows, EvalTables.ERRORS_SCHEMA, tablePath(dir, EvalTables.ERRORS), 1);
    write(spark, confusionRows, EvalTables.CONFUSION_SCHEMA, tablePath(dir, EvalTables.CONFUSION), 1);
    List<Row> summary = new ArrayList<>();
    List<Row> perCat = new ArrayList<>();
    List<Row> curves = new ArrayList<>();
    for (Map.Entry<IouType, EvalSummary> e : results.entrySet()) {
      String type = e.getKey().cocoName();
      double[] stats = e.getValue().stats();
      List<String> names = statNames(e.getKey());
      for (int i = 0; i < stats.length; i++) {
        summary.add(RowFactory.create(type, i, names.get(i), stats[i], runId));
      }
      for (EvalSummary.CategoryStats c : e.getValue().perCategory().values()) {
        CocoCategory cat = gt.category(c.categoryId());
        perCat.add(RowFactory.create(type, c.categoryId(), cat == null ? null : cat.name(), c.ap(), c.ap50(), c.ap75(),
            c.ar(), runId));
      }
      EvalResult r = e.getValue().result();
      EvalParams p = r.params();
      int[] maxDets = p.maxDets();
      double[] iouThrs = p.iouThrs();
      double[] recThrs = p.recThrs();
      for (int k = 0; k < p.catCount(); k++) {
        for (int a = 0; a < p.areaCount(); a++) {
          int m = p.maxDetCount() - 1;
          {
            for (int t = 0; t < p.iouThrCount(); t++) {
              for (int rr = 0; rr < p.recThrCount(); rr++) {
                curves.add(RowFactory.create(type, p.catId(k), p.areaLabel(a), maxDets[m], iouThrs[t], recThrs[rr],
                    r.precision(t, rr, k, a, m), r.score(t, rr, k, a, m), runId));
              }
            }
          }
        }
      }
    }
    write(spark, summary, EvalTables.SUMMARY_SCHEMA, tablePath(dir, EvalTables.SUMMARY), 1);
    write(spark, perCat, EvalTables.PER_CATEGORY_SCHEMA, tablePath(dir, EvalTables.PER_CATEGORY), 1);
    write(spark, curves, EvalTables.PR_CURVES_SCHEMA, tablePath(dir, EvalTables.PR_CURVES),
        Math.max(1, curves.size() / 500_000 + 1));
  }

  private static void write(SparkSession spark, List<Row> rows, StructType schema, String path, int files) {
    String key = "spark.sql.sources.partitionOverwriteMode";
    String before = spark.conf().get(key, "static");
    spark.conf().set(key, "dynamic");
    try {
      spark.createDataFrame(rows, schema).coalesce(files).write().mode(SaveMode.Overwrite).partitionBy(EvalTables.RUN_ID)
          .parquet(path);
    } finally {
      spark.conf().set(key, before);
    }
  }
}
