package io.sparkseg.job.evaluate;

import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoImage;
import io.sparkseg.core.coco.CocoJsonReader;
import io.sparkseg.core.coco.errors.ErrorEvaluator;
import io.sparkseg.core.coco.errors.ErrorSummary;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.EvalResult;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.coco.eval.LoadedDetection;
import io.sparkseg.job.evaluate.input.DetectionFields;
import io.sparkseg.job.evaluate.input.ResultsSplits;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * {@code evaluate --engine local}: a COCO results JSON against ground truth on the local disk, in
 * this process without Spark. The results file is read in byte ranges on every core as the Spark
 * path reads it ({@link ResultsSplits#readInProcess}), loadRes and the category and field choices
 * are the Spark path's, and the images and categories are evaluated with core's steps spread over
 * the cores ({@link CocoEvaluator#evaluateLoadedInParallel}, {@link ErrorEvaluator}): the same
 * numbers, without a scheduler, shuffles or serialisation. Both inputs are held in this JVM's heap,
 * which {@link EvaluateOptions#inProcess} checks before choosing it.
 */
public final class LocalEvaluation {
  private LocalEvaluation() {}

  /** Runs the evaluation; prints the summaries to {@code out} (if not null). */
  public static EvaluateJob.Outcome run(EvaluateOptions o, PrintStream out) throws IOException {
    EvaluateJob.checkScores(o);
    // the local file system itself, without Hadoop's default settings: FileSystem.get would start
    // Hadoop's user, cache and metrics machinery, a good part of a small evaluation's time
    RawLocalFileSystem fs = new RawLocalFileSystem();
    fs.initialize(URI.create("file:///"), new Configuration(false));
    CocoDataset gt;
    try (InputStream in = fs.open(new Path(o.groundTruth()))) {
      gt = CocoJsonReader.readDataset(in);
    }
    int[] kpCats = gt.keypointCategoryIds();
    // with the types given, only what they read is kept; else all, as the types depend on the file
    DetectionFields fields = o.iouTypes().isEmpty() ? DetectionFields.ALL : EvaluateJob.fields(o.iouTypes(), kpCats);
    AtomicBoolean keypointsSeen = new AtomicBoolean();
    AtomicReference<CocoDetection> firstRead = new AtomicReference<>();
    List<LoadedDetection> loaded = ResultsSplits.readInProcess(fs, o.detections(), 0, first -> {
      firstRead.set(first);
      LoadRes.AreaSource branch = o.dtArea() != LoadRes.AreaSource.AUTO ? o.dtArea()
          : LoadRes.branch(first == null ? List.of() : List.of(first));
      DetectionFields kept = fields.with(branch);
      return new ResultsSplits.Loader<LoadedDetection>() {
        @Override
        public LoadedDetection load(long position, CocoDetection d) {
          return LocalEvaluation.load(gt, kpCats, kept, branch, keypointsSeen, position, d);
        }

        @Override
        public boolean readsMasks() {
          return kept.masks();
        }

        @Override
        public boolean readsKeypoints() {
          return kept.keypoints();
        }

        @Override
        public java.util.function.IntPredicate categories() {
          return kept::wants;
        }
      };
    });
    String runId = o.runId() != null ? o.runId() : EvaluateJob.fileStem(o.detections());
    List<IouType> types = EvaluateJob.types(o, hasSegmentation(gt), hasKeypoints(gt),
        firstRead.get() != null && firstRead.get().segmentation() != null, keypointsSeen::get);
    EvaluateJob.Outcome done = EvaluateJob.evaluateTypes(runId, gt, types, false, o.errors(),
        o.boundaryDilationRatio(), out,
        new EvaluateJob.PerType() {
          @Override
          public EvalResult evaluate(EvalParams p, boolean rankedByMaskScore) {
            return CocoEvaluator.evaluateLoadedInParallel(gt, loaded, p);
          }

          @Override
          public ErrorSummary errors(EvalParams p, boolean rankedByMaskScore) {
            return ErrorEvaluator.analyse(gt, loaded, p, true);
          }
        });
    if (o.summaryJson() != null && EvaluateOptions.isLocalFile(o.summaryJson())) {
      java.nio.file.Path file = java.nio.file.Path.of(new Path(o.summaryJson()).toUri().getPath());
      if (file.getParent() != null) {
        java.nio.file.Files.createDirectories(file.getParent());
      }
      try (java.io.OutputStream w = java.nio.file.Files.newOutputStream(file)) {
        EvalOutputs.writeSummaryJson(w, done.results(), done.rankedBy(), done.errors());
      }
    } else if (o.summaryJson() != null) {
      EvalOutputs.writeSummaryJson(new Configuration(), o.summaryJson(), done.results(), done.rankedBy(), done.errors());
    }
    return done;
  }

  /**
   * loadRes of one detection as {@code ResultsLoad} does it, or null for a category not evaluated
   * (whose image is checked all the same, as loadRes checks every detection's).
   */
  private static LoadedDetection load(CocoDataset gt, int[] kpCats, DetectionFields kept, LoadRes.AreaSource branch,
      AtomicBoolean keypointsSeen, long position, CocoDetection d) {
    CocoImage img = gt.image(d.imageId());
    if (img == null) {
      throw LoadRes.notInGroundTruth(position, d.imageId());
    }
    if (!kept.wants(d.categoryId())) {
      return null;
    }
    if (d.keypoints() != null && !keypointsSeen.get() && Arrays.binarySearch(kpCats, d.categoryId()) >= 0) {
      keypointsSeen.set(true);
    }
    return LoadRes.load(position + 1, kept.project(d), branch, img.height(), img.width(), "detection #" + position);
  }

  private static boolean hasSegmentation(CocoDataset gt) {
    return gt.annotations().stream().anyMatch(a -> a.segmentation() != null);
  }

  private static boolean hasKeypoints(CocoDataset gt) {
    return gt.annotations().stream().anyMatch(a -> a.keypoints() != null);
  }
}
