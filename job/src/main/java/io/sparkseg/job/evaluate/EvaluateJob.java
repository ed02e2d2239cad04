package io.sparkseg.job.evaluate;

import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.errors.ErrorSummary;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.EvalResult;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import io.sparkseg.job.evaluate.input.DetectionFields;
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
import org.apache.spark.api.java.JavaPairRDD;
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
    checkScores(o);
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
    List<IouType> types;
    // the detections keyed by image and partitioned like the ground truth (their one shuffle), the
    // same ranked by mask_score where segm uses it, and what both come from (cached if read twice)
    JavaPairRDD<Long, LoadedDetection> dets;
    JavaPairRDD<Long, LoadedDetection> maskScored = null;
    JavaPairRDD<Long, ?> base;
    if (o.jsonDetections()) {
      runId = o.runId() != null ? o.runId() : fileStem(o.detections());
      ResultsSplits.Detections read = ResultsSplits.read(spark, o.detections());
      boolean hasMasks = read.first() != null && read.first().segmentation() != null;
      types = types(o, gt.hasSegmentation(), gt.hasKeypoints(), hasMasks, () -> kpCats.length > 0 && !read.detections()
          .filter(t -> t._2().keypoints() != null && Arrays.binarySearch(kpCats, t._2().categoryId()) >= 0).isEmpty());
      dets = ResultsLoad.apply(read, gt, o.dtArea(), fields(types, kpCats));
      base = dets;
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
      boolean hasMasks = Arrays.asList(df.columns()).contains(InstancesTable.MASK);
      Dataset<Row> all = df;
      types = types(o, gt.hasSegmentation(), gt.hasKeypoints(), hasMasks, () -> kpCats.length > 0 && !all.filter(functions.col(InstancesTable.KEYPOINTS)
          .isNotNull().and(functions.col(InstancesTable.CATEGORY_ID).isin(Arrays.stream(kpCats).boxed().toArray())))
          .isEmpty());
      DetectionFields fields = fields(types, kpCats);
      // in a merged schema the runs from before mask_score read null there
      boolean hasMaskScore = Arrays.asList(df.columns()).contains(InstanceDetections.MASK_SCORE)
          && df.filter(functions.col(InstanceDetections.MASK_SCORE).isNull()).isEmpty();
      if (o.segmScore() == EvaluateOptions.SegmScore.MASK_SCORE && !hasMaskScore) {
        throw new IllegalArgumentException("run " + runId + " in " + o.detections() + " has no "
            + InstanceDetections.MASK_SCORE + " (written before sparkseg scored masks); use --segm-score score");
      }
      if (hasMaskScore && types.stream().anyMatch(IouType::comparesMasks)
          && o.segmScore() != EvaluateOptions.SegmScore.SCORE) {
        JavaPairRDD<Long, scala.Tuple2<LoadedDetection, Float>> withMaskScores =
            InstanceDetections.loadWithMaskScores(df, o.dtArea(), fields)
                .mapToPair(t -> new scala.Tuple2<>(t._1().imageId(), t))
                .partitionBy(gt.partitioner());
        base = withMaskScores;
        dets = withMaskScores.mapValues(scala.Tuple2::_1);
        maskScored = withMaskScores.mapValues(InstanceDetections::rankedByMaskScore);
      } else {
        dets = DistributedCocoEval.keyedByImage(gt, InstanceDetections.load(df, o.dtArea(), fields), null);
        base = dets;
      }
    }
    // each iouType reads the detections once, its error analysis once more: cache them only if read twice
    long reads = types.size() + types.stream().filter(t -> o.errors() && hasErrorAnalysis(t)).count();
    if (reads > 1) {
      base.persist(StorageLevel.MEMORY_AND_DISK());
    }

    JavaPairRDD<Long, LoadedDetection> byScore = dets;
    JavaPairRDD<Long, LoadedDetection> byMaskScore = maskScored;
    Outcome done;
    try {
      done = evaluateTypes(runId, gt.header(), types, maskScored != null, o.errors(), o.boundaryDilationRatio(), out,
          new PerType() {
            @Override
            public EvalResult evaluate(EvalParams p, boolean rankedByMaskScore) {
              return DistributedCocoEval.evaluate(gt, rankedByMaskScore ? byMaskScore : byScore, p);
            }

            @Override
            public ErrorSummary errors(EvalParams p, boolean rankedByMaskScore) {
              return DistributedErrorAnalysis.analyse(gt, rankedByMaskScore ? byMaskScore : byScore, p);
            }
          });
    } finally {
      base.unpersist(false);
    }
    if (o.summaryJson() != null) {
      EvalOutputs.writeSummaryJson(conf, o.summaryJson(), done.results(), done.rankedBy(), done.errors());
    }
    if (o.outputDir() != null) {
      EvalOutputs.writeTables(spark, o.outputDir(), runId, gt.header(), done.results(), done.errors());
    }
    return done;
  }

  /** One iouType's evaluation and error analysis, on Spark or in this process. */
  interface PerType {
    EvalResult evaluate(EvalParams p, boolean rankedByMaskScore);

    ErrorSummary errors(EvalParams p, boolean rankedByMaskScore);
  }

  /**
   * Evaluates each iouType in turn (segm and boundary ranked by mask_score where {@code
   * maskScored}), adds the error analysis of bbox and segm if asked, and prints pycocotools' summary
   * of each to {@code out} (if not null): the steps both engines share.
   */
  static Outcome evaluateTypes(String runId, CocoDataset gt, List<IouType> types, boolean maskScored, boolean withErrors,
      double boundaryDilationRatio, PrintStream out, PerType e) {
    Map<IouType, EvalSummary> results = new LinkedHashMap<>();
    Map<IouType, String> rankedBy = new LinkedHashMap<>();
    Map<IouType, ErrorSummary> errors = new LinkedHashMap<>();
    for (IouType type : types) {
      boolean byMaskScore = type.comparesMasks() && maskScored;
      rankedBy.put(type, byMaskScore ? InstanceDetections.MASK_SCORE : InstancesTable.SCORE);
      EvalParams p = CocoEvaluator.defaultParams(gt, type).withBoundaryDilationRatio(boundaryDilationRatio);
      if (p.catCount() == 0) {
        throw new IllegalArgumentException("cannot evaluate " + type.cocoName() + ": the ground truth has no "
            + (type == IouType.KEYPOINTS ? "category with keypoints" : "categories"));
      }
      EvalSummary s = EvalSummary.of(e.evaluate(p, byMaskScore));
      results.put(type, s);
      if (withErrors && hasErrorAnalysis(type)) {
        errors.put(type, e.errors(p, byMaskScore));
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
    return new Outcome(runId, results, rankedBy, errors);
  }

  /** Whether the error analysis covers an iouType: bbox and segm (TIDE's error types are about those). */
  static boolean hasErrorAnalysis(IouType t) {
    return t == IouType.BBOX || t == IouType.SEGM;
  }

  /** Fails for a mask ranking the detections cannot give. */
  static void checkScores(EvaluateOptions o) {
    if (o.jsonDetections() && o.segmScore() == EvaluateOptions.SegmScore.MASK_SCORE) {
      throw new IllegalArgumentException("--segm-score mask_score needs an instances table: a COCO results JSON "
          + "has one score per detection");
    }
  }

  /** The iouTypes asked for, else bbox and what both the detections and the ground truth have. */
  static List<IouType> types(EvaluateOptions o, boolean gtHasSegmentation, boolean gtHasKeypoints, boolean hasMasks,
      java.util.function.BooleanSupplier hasKeypoints) {
    List<IouType> types = new ArrayList<>(o.iouTypes());
    if (types.isEmpty()) {
      types.add(IouType.BBOX);
      if (hasMasks && gtHasSegmentation) {
        types.add(IouType.SEGM);
      }
      if (gtHasKeypoints && hasKeypoints.getAsBoolean()) {
        types.add(IouType.KEYPOINTS);
      }
    }
    return types;
  }

  /** What of each detection the iouTypes read; keypoints alone read only the categories that have keypoints. */
  static DetectionFields fields(List<IouType> types, int[] keypointCategories) {
    boolean keypointsOnly = types.stream().allMatch(t -> t == IouType.KEYPOINTS);
    boolean masks = types.stream().anyMatch(IouType::comparesMasks);
    return new DetectionFields(keypointsOnly ? keypointCategories : null, masks,
        types.contains(IouType.KEYPOINTS));
  }

  static String fileStem(String path) {
    String s = path.replaceAll("/+$", "");
    s = s.substring(s.lastIndexOf('/') + 1);
    int dot = s.lastIndexOf('.');
    return dot > 0 ? s.substring(0, dot) : s;
  }
}
