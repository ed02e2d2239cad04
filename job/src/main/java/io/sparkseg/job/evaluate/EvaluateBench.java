package io.sparkseg.job.evaluate;

import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.EvalResult;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.ImageEval;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Benchmark (not a test): times COCO evaluate+accumulate for segm and bbox on a synthetic case
 * ({@link SyntheticEvalCase}), single-threaded in core and on Spark, and checks both give the same
 * stats. Usage: {@code EvaluateBench [images] [gtObjects] [detections] [master] [partitions] [all|core|spark]},
 * default {@code 5000 36000 500000 local[2] 8 all}. Needs Spark's {@code --add-opens} JVM flags.
 */
public final class EvaluateBench {
  private EvaluateBench() {}

  public static void main(String[] args) {
    int images = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    int gts = args.length > 1 ? Integer.parseInt(args[1]) : 36_000;
    int dets = args.length > 2 ? Integer.parseInt(args[2]) : 500_000;
    String master = args.length > 3 ? args[3] : "local[2]";
    int partitions = args.length > 4 ? Integer.parseInt(args[4]) : 8;
    String which = args.length > 5 ? args[5] : "all";
    long t0 = System.nanoTime();
    SyntheticEvalCase.Case c = SyntheticEvalCase.generate(images, gts, dets, 20240601L);
    System.out.printf("generated %d images, %d GT, %d detections in %.1f s%n", c.groundTruth().images().size(),
        c.groundTruth().annotations().size(), c.detections().size(), secs(t0));
    List<LoadedDetection> loaded = LoadRes.apply(c.groundTruth(), c.detections(), LoadRes.AreaSource.AUTO);
    System.out.printf("machine: %d cores available to the JVM, max heap %d MiB, %s %s%n",
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
        System.getProperty("os.arch"), System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));

    double[][] coreStats = new double[2][];
    IouType[] types = {IouType.SEGM, IouType.BBOX};
    for (int i = 0; i < types.length && !which.equals("spark"); i++) {
      EvalParams p = CocoEvaluator.defaultParams(c.groundTruth(), types[i]);
      long a = System.nanoTime();
      List<ImageEval> evals = CocoEvaluator.evaluateImages(c.groundTruth(), loaded, p);
      double evalS = secs(a);
      long b = System.nanoTime();
      EvalResult r = CocoEvaluator.accumulate(p, evals);
      double accS = secs(b);
      coreStats[i] = EvalSummary.of(r).stats();
      System.out.printf("core 1 thread  %-4s evaluate %6.1f s  accumulate %5.1f s  total %6.1f s  AP=%.4f%n",
          types[i].cocoName(), evalS, accS, evalS + accS, coreStats[i][0]);
    }

    if (which.equals("core")) {
      return;
    }
    SparkSession spark = SparkSession.builder().master(master).appName("EvaluateBench")
        .config("spark.ui.enabled", "false").getOrCreate();
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      long l = System.nanoTime();
      JavaRDD<LoadedDetection> rdd = jsc.parallelize(loaded, partitions).persist(StorageLevel.MEMORY_ONLY());
      long n = rdd.count();
      System.out.printf("spark %s: %d detections distributed and cached in %.1f s%n", master, n, secs(l));
      for (int i = 0; i < types.length; i++) {
        EvalParams p = CocoEvaluator.defaultParams(c.groundTruth(), types[i]);
        long a = System.nanoTime();
        EvalResult r = DistributedCocoEval.evaluate(jsc, c.groundTruth(), rdd, p, partitions);
        double s = secs(a);
        double[] st = EvalSummary.of(r).stats();
        System.out.printf("spark %-8s %-4s evaluate+accumulate %6.1f s  AP=%.4f  same stats as core: %s%n", master,
            types[i].cocoName(), s, st[0], coreStats[i] == null ? "(not run)" : Arrays.equals(st, coreStats[i]));
        System.out.print(EvalSummary.of(r).text());
      }
    } finally {
      spark.stop();
    }
  }

  private static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
