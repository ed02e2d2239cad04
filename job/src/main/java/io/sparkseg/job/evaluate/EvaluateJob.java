package io.sparkseg.job.evaluate;

import io.sparkseg.core.coco.CocoAnnotation;
import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoJsonReader;
import io.sparkseg.core.coco.errors.ErrorSummary;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.EvalResult;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import io.sparkseg.job.fs.HadoopFiles;
import io.sparkseg.job.output.format.RunTableSource;
import io.sparkseg.tables.InstancesTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
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
 * ({@link EvaluateOptions.SegmScore}).
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
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    CocoDataset gt;
    try (InputStream in = HadoopFiles.open(conf, o.groundTruth())) {
      gt = CocoJsonReader.readDataset(in);
    }
    int[] kpCats = gt.keypointCategoryIds();
    String runId;
    JavaRDD<LoadedDetection> dets;
    JavaRDD<LoadedDetection> maskScored = null;
    JavaRDD<?> cached = null;
    boolean hasMasks;
    boolean hasKeypoints;
    int partitions = o.partitions() > 0 ? o.partitions() : Math.max(2, spark.sparkContext().defaultParallelism());
    if (o.jsonDetections()) {
      if (o.segmScore() == EvaluateOptions.SegmScore.MASK_SCORE) {
        throw new IllegalArgumentException("--segm-score mask_score needs an instances table: a COCO results JSON "
            + "has one score per detection");
      }
      List<CocoDetection> list;
      try (InputStream in = HadoopFiles.open(conf, o.detections())) {
        list = CocoJsonReader.readResults(in);
      }
      runId = o.runId() != null ? o.runId() : fileStem(o.detections());
      LoadRes.AreaSource branch = o.dtArea() == LoadRes.AreaSource.AUTO ? LoadRes.branch(list) : o.dtArea();
      hasMasks = !list.isEmpty() && list.get(0).segmentation() != null;
      hasKeypoints = list.stream().anyMatch(d -> d.keypoints() != null && Arrays.binarySearch(kpCats, d.categoryId()) >= 0);
      List<LoadedDetection> loaded = LoadRes.apply(gt, list, branch);
      dets = jsc.parallelize(loaded, partitions);
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
      if (hasMasks && gt.annotations().stream().anyMatch(a -> a.segmentation() != null)) {
        types.add(IouType.SEGM);
      }
      if (hasKeypoints && kpCats.length > 0 && gt.annotations().stream().anyMatch(CocoAnnotationHasKeypoints::test)) {
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
        EvalParams p = CocoEvaluator.defaultParams(gt, type);
        if (p.catCount() == 0) {
          throw new IllegalArgumentException("cannot evaluate " + type.cocoName() + ": the ground truth has no "
              + (type == IouType.KEYPOINTS ? "category with keypoints" : "categories"));
        }
        JavaRDD<LoadedDetection> ranked = byMaskScore ? maskScored : dets;
        EvalResult r = DistributedCocoEval.evaluate(jsc, gt, ranked, p, partitions);
        EvalSummary s = EvalSummary.of(r);
        results.put(type, s);
        if (o.errors() && type != IouType.KEYPOINTS) {
          errors.put(type, DistributedErrorAnalysis.analyse(jsc, gt, ranked, p, partitions));
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
      EvalOutputs.writeTables(spark, o.outputDir(), runId, gt, results, errors);
    }
    return new Outcome(runId, results, rankedBy, errors);
  }

  private static final class CocoAnnotationHasKeypoints {
    static boolean test(CocoAnnotation a) {
      return a.keypoints() != null;
    }
  }

  static String fileStem(String path) {
    String s = path.replaceAll("/+$", "");
    s = s.substring(s.lastIndexOf('/') + 1);
    int dot = s.lastIndexOf('.');
    return dot > 0 ? s.substring(0, dot) : s;
  }
}
