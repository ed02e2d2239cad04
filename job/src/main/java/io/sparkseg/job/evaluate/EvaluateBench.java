package io.sparkseg.job.evaluate;

import io.sparkseg.core.coco.errors.ErrorSummary;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.EvalResult;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.ImageEval;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import io.sparkseg.tables.InstancesTable;
import io.sparkseg.tables.Tables;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Benchmark (not a test): times COCO evaluate+accumulate for segm and bbox on a synthetic case
 * ({@link SyntheticEvalCase}), single-threaded in core and on Spark, and checks both give the same
 * stats; on Spark also the error analysis the evaluate command adds ({@link DistributedErrorAnalysis}). Run by {@code sparkseg bench eval}. Needs Spark's {@code --add-opens} JVM flags.
 */
public final class EvaluateBench {
  /** Which evaluations to time: core's single-threaded one, the Spark one, or both. */
  public enum Which { ALL, CORE, SPARK }

  /** The synthetic case's random seed. */
  public static final long SEED = 20240601L;

  /**
   * The synthetic case's size ({@code images}, {@code gtObjects}, {@code detections}), the Spark
   * master and partitions, and which evaluations to time.
   */
  public record Settings(int images, int gtObjects, int detections, String master, int partitions, Which which) {}

  private EvaluateBench() {}

  /** Generates the case, then prints each evaluation's timings and stats to {@code out}. */
  public static void run(Settings settings, PrintWriter out) {
    try {
      time(settings, out);
    } finally {
      out.flush();
    }
  }

  private static void time(Settings settings, PrintWriter out) {
    int images = settings.images();
    int gts = settings.gtObjects();
    int dets = settings.detections();
    String master = settings.master();
    int partitions = settings.partitions();
    Which which = settings.which();
    long t0 = System.nanoTime();
    SyntheticEvalCase.Case c = SyntheticEvalCase.generate(images, gts, dets, SEED);
    out.printf("generated %d images, %d GT, %d detections in %.1f s%n", c.groundTruth().images().size(),
        c.groundTruth().annotations().size(), c.detections().size(), secs(t0));
    List<LoadedDetection> loaded = LoadRes.apply(c.groundTruth(), c.detections(), LoadRes.AreaSource.AUTO);
    out.printf("machine: %d cores available to the JVM, max heap %d MiB, %s %s%n",
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
        System.getProperty("os.arch"), System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));

    double[][] coreStats = new double[2][];
    IouType[] types = {IouType.SEGM, IouType.BBOX};
    for (int i = 0; i < types.length && which != Which.SPARK; i++) {
      EvalParams p = CocoEvaluator.defaultParams(c.groundTruth(), types[i]);
      long a = System.nanoTime();
      List<ImageEval> evals = CocoEvaluator.evaluateImages(c.groundTruth(), loaded, p);
      double evalS = secs(a);
      long b = System.nanoTime();
      EvalResult r = CocoEvaluator.accumulate(p, evals);
      double accS = secs(b);
      coreStats[i] = EvalSummary.of(r).stats();
      out.printf("core 1 thread  %-4s evaluate %6.1f s  accumulate %5.1f s  total %6.1f s  AP=%.4f%n",
          types[i].cocoName(), evalS, accS, evalS + accS, coreStats[i][0]);
    }

    if (which == Which.CORE) {
      return;
    }
    SparkSession spark = SparkSession.builder().master(master).appName("EvaluateBench")
        .config("spark.ui.enabled", "false").getOrCreate();
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      // as in real runs, the detections are an instances table read by the executors
      String table = System.getProperty("java.io.tmpdir") + "/sparkseg-bench-instances-" + images + "-" + dets;
      if (!new java.io.File(table).isDirectory()) {
        long w = System.nanoTime();
        writeInstances(spark, c, table, org.apache.spark.sql.SaveMode.Overwrite);
        out.printf("wrote the detections as an instances table (%s) in %.1f s%n", table, secs(w));
      }
      for (int i = 0; i < types.length; i++) {
        EvalParams p = CocoEvaluator.defaultParams(c.groundTruth(), types[i]);
        long a = System.nanoTime();
        // persisted as EvaluateJob persists them, so the error analysis reads them from the cache
        JavaRDD<LoadedDetection> rdd = InstanceDetections.load(spark.read().parquet(table), LoadRes.AreaSource.AUTO)
            .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        EvalResult r = DistributedCocoEval.evaluate(jsc, c.groundTruth(), rdd, p, partitions);
        double s = secs(a);
        double[] st = EvalSummary.of(r).stats();
        out.printf("spark %-8s %-4s read+evaluate+accumulate %6.1f s  AP=%.4f  same stats as core: %s%n",
            master, types[i].cocoName(), s, st[0], coreStats[i] == null ? "(not run)" : Arrays.equals(st, coreStats[i]));
        out.print(EvalSummary.of(r).text());
        long e = System.nanoTime();
        ErrorSummary errors = DistributedErrorAnalysis.analyse(jsc, c.groundTruth(), rdd, p, partitions);
        out.printf("spark %-8s %-4s error analysis (the evaluate command's --errors) %6.1f s  AP50=%.4f "
            + "(the evaluation's: %.4f)%n  %s%n", master, types[i].cocoName(), secs(e), errors.ap50(), st[1],
            ErrorOutputs.line(errors));
        rdd.unpersist(false);
      }
    } finally {
      spark.stop();
    }
  }

  /**
   * Writes the case's detections as an instances table (instance_index in results order per
   * image); {@code mode} for the first file (Overwrite, or Append to add to a table).
   */
  public static void writeInstances(SparkSession spark, SyntheticEvalCase.Case c, String path,
      org.apache.spark.sql.SaveMode mode) {
    List<org.apache.spark.sql.Row> rows = new java.util.ArrayList<>(c.detections().size());
    java.util.Map<Long, Integer> next = new java.util.HashMap<>();
    for (io.sparkseg.core.coco.CocoDetection d : c.detections()) {
      int idx = next.merge(d.imageId(), 1, Integer::sum) - 1;
      io.sparkseg.core.mask.Rle m = ((io.sparkseg.core.coco.Segmentation.RleMask) d.segmentation()).rle();
      double[] b = d.bbox();
      rows.add(org.apache.spark.sql.RowFactory.create(d.imageId(), idx, d.categoryId(), "cat" + d.categoryId(),
          (float) d.score(), org.apache.spark.sql.RowFactory.create(b[0], b[1], b[2], b[3]),
          org.apache.spark.sql.RowFactory.create(m.height(), m.width(), m.toCompressedString()), m.area(), null,
          "synthetic", "1", "bench"));
    }
    // the instances table as written before sparkseg scored masks (no mask_score)
    org.apache.spark.sql.types.StructType schema = Tables.without(InstancesTable.SCHEMA, InstancesTable.MASK_SCORE);
    int chunk = 50_000;
    for (int from = 0; from < rows.size(); from += chunk) {
      spark.createDataFrame(rows.subList(from, Math.min(rows.size(), from + chunk)), schema).coalesce(1).write()
          .mode(from == 0 ? mode : org.apache.spark.sql.SaveMode.Append)
          .parquet(path);
    }
  }

  private static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
