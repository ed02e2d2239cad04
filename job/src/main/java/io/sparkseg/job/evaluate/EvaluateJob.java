package io.sparkseg.job.evaluate;

import io.sparkseg.core.coco.errors.ErrorSummary;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.EvalResult;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import io.sparkseg.job.evaluate.input.DistributedGroundTruth;
import io.sparkseg.job.evaluate.input.ResultsLoad;
import io.sparkseg.job.evaluate.input.ResultsSplits;
import io.sparkseg.job.output.format.RunTableSource;
import io.sparkseg.tables.InstancesTable;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;

/**
 * The {@code evaluate} job: reads COCO ground truth and a run's detections (the committed rows of
 * its instances table in any table format, {@link RunTableSource}, or a COCO results JSON), evaluates each iouType on Spark ({@link DistributedCocoEval}), prints
 * pycocotools' summary and writes the outputs ({@link EvalOutputs}). In an instances table
 * that has {@code mask_score}, segm ranks the masks by it unless told otherwise
 * ({@link EvaluateOptions.SegmScore}). The executors read both inputs: the ground truth in chunks
 * ({@link DistributedGroundTruth}), a results JSON in byte ranges ({@link ResultsSplits}), a table
 * through Spark; the driver holds the categories and the merged accumulations, whatever the sizes.
 */
public final class EvaluateJob {
  /**
   * The evaluated run, the summary of each iouType in evaluation order, the score column that
   * ranked the detections of each, and the error analysis of bbox and segm.
   */
  public record Outcome(String runId, Map<IouType, EvalSummary> results, Map<IouType, String> rankedBy,
      Map<IouType, ErrorSummary> errors) {}

  private EvaluateJob() {}

  /**
   * Runs the evaluation; prints the summaries to {@code out} (if not null).
   *
   * @throws IllegalArgumentException for unusable options or input (the message says what)
   */
  public static Outcome run(SparkSession spark, EvaluateOptions o, PrintStream out) throws IOException {
    try {
      return evaluate(spark, o, out);
    } catch (Exception e) {
      IllegalArgumentException bad = badInput(e);
      if (bad != null) {
        throw bad;
      }
      throw e;
    }
  }

  /** The bad-input error a task failed with (Spark wraps it), else null. */
  static IllegalArgumentException badInput(Exception e) {
    if (!(e instanceof SparkException)) {
      return null;
    }
    for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
      if (t instanceof IllegalArgumentException bad) {
        return bad;
      }
    }
    return null;
  }

  private static Outcome evaluate(SparkSession spark, EvaluateOptions o, PrintStream out) throws IOException {
    int partitions = o.partitions() > 0 ? o.partitions() : Math.max(2, spark.sparkContext().defaultParallelism());
    if (o.jsonDetections() && o.segmScore() == EvaluateOptions.SegmScore.MASK_SCORE) {
      throw new IllegalArgumentException("--segm-score mask_score needs an instances table: a COCO results JSON "
          + "has one score per detection");
    }
    DistributedGroundTruth gt = DistributedGroundTruth.read(spark, o.groundTruth(), partitions);
    try {
      return evaluate(spark, o, out, gt, partitions);
    } finally {
      gt.unpersist();
    }
  }

  private static Outcome evaluate(SparkSession spark, EvaluateOptions o, PrintStream out, DistributedGroundTruth gt,
      int partitions) throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    int[] kpCats = gt.header().keypointCategoryIds();
    String runId;
    JavaRDD<LoadedDetection> dets;
    JavaRDD<LoadedDetection> maskScored = null;
    JavaRDD<?> cached = null;
    boolean hasMasks;
    boolean hasKeypoints;
    if (o.jsonDetections()) {
      runId = o.runId() != null ? o.runId() : fileStem(o.detections());
      ResultsSplits.Detections read = ResultsSplits.read(spark, o.detections());
      hasMasks = read.first() != null && read.first().segmentation() != null;
      dets = ResultsLoad.apply(read, gt, o.dtArea()).persist(StorageLevel.MEMORY_AND_DISK());
      cached = dets;
      hasKeypoints = kpCats.length > 0
          && !dets.filter(d -> d.keypoints() != null && Arrays.binarySearch(kpCats, d.categoryId()) >= 0).isEmpty();
    } else {
      RunTableSource tables = RunTableSource.open(spark, o.detections(), o.detectionsFormat(), "--detections",
          "--detections-format");
      List<String> runs = tables.runIds();
      Dataset<Row> df;
      if (!runs.isEmpty()) {
        if (o.runId() != null) {
          if (!runs.contains(o.runId())) {
            throw new IllegalArgumentException("run " + o.runId() + " is not in " + o.detections() + " (runs: " + runs + ")");
          }
          runId = o.runId();
        } else if (runs.size() == 1) {
          runId = runs.get(0);
        } else {
          throw new IllegalArgumentException(o.detections() + " holds " + runs.size() + " runs " + runs
              + "; choose one with --run-id");
        }
        df = tables.instances(runId);
      } else {
        runId = o.runId() != null ? o.runId() : fileStem(o.detections());
        df = tables.instances(null);
      }
      hasMasks = Arrays.asList(df.columns()).contains(InstancesTable.MASK);
      hasKeypoints = kpCats.length > 0 && !df.filter(functions.col(InstancesTable.KEYPOINTS).isNotNull()
          .and(functions.col(InstancesTable.CATEGORY_ID).isin(Arrays.stream(kpCats).boxed().toArray()))).isEmpty();
      // in a merged schema the runs from before mask_score read null there
      boolean hasMaskScore = Arrays.asList(df.columns()).contains(InstanceDetections.MASK_SCORE)
          && df.filter(functions.col(InstanceDetections.MASK_SCORE).isNull()).isEmpty();
      if (o.segmScore() == EvaluateOptions.SegmScore.MASK_SCORE && !hasMaskScore) {
        throw new IllegalArgumentException("run " + runId + " in " + o.detections() + " has no "
            + InstanceDetections.MASK_SCORE + " (written before sparkseg scored masks); use --segm-score score");
      }
      boolean segmWanted = o.iouTypes().isEmpty() || o.iouTypes().contains(IouType.SEGM);
      if (hasMaskScore && segmWanted && o.segmScore() != EvaluateOptions.SegmScore.SCORE) {
        JavaRDD<scala.Tuple2<LoadedDetection, Float>> withMaskScores =
            InstanceDetections.loadWithMaskScores(df, o.dtArea()).persist(StorageLevel.MEMORY_AND_DISK());
        cached = withMaskScores;
        dets = withMaskScores.map(scala.Tuple2::_1);
        maskScored = withMaskScores.map(InstanceDetections::rankedByMaskScore);
      } else {
        dets = InstanceDetections.load(df, o.dtArea());
      }
    }
    if (cached == null) {
      dets = dets.persist(StorageLevel.MEMORY_AND_DISK());
      cached = dets;
    }

    List<IouType> types = new ArrayList<>(o.iouTypes());
    if (types.isEmpty()) {
      types.add(IouType.BBOX);
      if (hasMasks && gt.hasSegmentation()) {
        types.add(IouType.SEGM);
      }
      if (hasKeypoints && kpCats.length > 0 && gt.hasKeypoints()) {
        types.add(IouType.KEYPOINTS);
      }
    }
    Map<IouType, EvalSummary> results = new LinkedHashMap<>();
    Map<IouType, String> rankedBy = new LinkedHashMap<>();
    Map<IouType, ErrorSummary> errors = new LinkedHashMap<>();
    try {
      for (IouType type : types) {
        boolean byMaskScore = type == IouType.SEGM && maskScored != null;
        rankedBy.put(type, byMaskScore ? InstanceDetections.MASK_SCORE : InstancesTable.SCORE);
        EvalParams p = CocoEvaluator.defaultParams(gt.header(), type);
        if (p.catCount() == 0) {
          throw new IllegalArgumentException("cannot evaluate " + type.cocoName() + ": the ground truth has no "
              + (type == IouType.KEYPOINTS ? "category with keypoints" : "categories"));
        }
        JavaRDD<LoadedDetection> ranked = byMaskScore ? maskScored : dets;
        EvalResult r = DistributedCocoEval.evaluate(gt, ranked, p);
        EvalSummary s = EvalSummary.of(r);
        results.put(type, s);
        if (o.errors() && type != IouType.KEYPOINTS) {
          errors.put(type, DistributedErrorAnalysis.analyse(gt, ranked, p));
        }
        if (out != null) {
          if (byMaskScore) {
            out.println("(masks ranked by " + InstanceDetections.MASK_SCORE + ")");
          }
          out.println("Evaluate annotation type *" + type.cocoName() + "*");
          out.print(s.text());
          if (errors.containsKey(type)) {
            out.println(ErrorOutputs.line(errors.get(type)));
          }
        }
      }
    } finally {
      cached.unpersist(false);
    }
    if (o.summaryJson() != null) {
      EvalOutputs.writeSummaryJson(conf, o.summaryJson(), results, rankedBy, errors);
    }
    if (o.outputDir() != null) {
      EvalOutputs.writeTables(spark, o.outputDir(), runId, gt.header(), results, errors);
    }
    return new Outcome(runId, results, rankedBy, errors);
  }

  static String fileStem(String path) {
    String s = path.replaceAll("/+$", "");
    s = s.substring(s.lastIndexOf('/') + 1);
    int dot = s.lastIndexOf('.');
    return dot > 0 ? s.substring(0, dot) : s;
  }
}
