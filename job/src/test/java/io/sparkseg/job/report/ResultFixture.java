package io.sparkseg.job.report;

import io.sparkseg.core.coco.CocoAnnotation;
import io.sparkseg.core.coco.CocoCategory;
import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoImage;
import io.sparkseg.core.coco.CocoJsonReader;
import io.sparkseg.core.coco.Segmentation;
import io.sparkseg.core.coco.errors.ErrorEvaluator;
import io.sparkseg.core.coco.errors.ErrorSummary;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import io.sparkseg.core.mask.Boxes;
import io.sparkseg.core.mask.Rle;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkseg.job.TestSpark;
import io.sparkseg.job.evaluate.EvalOutputs;
import io.sparkseg.job.output.OutputLayout;
import io.sparkseg.job.output.format.RunTables;
import io.sparkseg.job.output.format.TableFormat;
import io.sparkseg.tables.ImagesTable;
import io.sparkseg.tables.InstancesTable;
import io.sparkseg.tables.Tables;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.execution.datasources.FileStatusCache$;

/**
 * Result tables shaped exactly like the segment job's output ({@link InstancesTable}, {@link ImagesTable}) and the evaluate
 * job's tables ({@link EvalOutputs}), built from the committed samples: two runs ("model
 * versions") whose instances are the sample ground-truth masks (real COCO RLEs from
 * samples/annotations.json, parsed by core's {@link Rle}) with deterministic scores, dropped
 * instances, degraded masks and false positives, plus a few failed images; and a real COCO
 * evaluation of both runs by core's COCOeval.
 *
 * <p>Beside these, {@link #addJobRuns} writes two runs of the real {@code segment} and {@code
 * evaluate} commands on a few sample images into the same folders, so the notebooks and the report
 * are also checked on the job's own output.
 */
final class ResultFixture {
  static final String RUN_A = "fixture-v1";
  static final String RUN_B = "fixture-v2";
  /** A run of the real segment (and evaluate) commands on a few sample images (when the bundle is there). */
  static final String JOB_A = "job-a";
  static final int JOB_IMAGES = 5;

  final Path output;
  final Path evalOutput;
  /** Whether {@link #JOB_A} was written by the job itself. */
  /** Instances the job found in {@link #JOB_A} (the early sample bundle may find none). */
  long jobInstances;

  private ResultFixture(Path output, Path evalOutput) {
    this.output = output;
    this.evalOutput = evalOutput;
  }

  /**
   * Runs {@code sparkseg segment} on the first sample images, a missing and a corrupt image, into
   * this fixture's output folder, and {@code sparkseg evaluate} on it when it found instances.
   */
  void addJobRuns(Path dir) throws IOException {
    TestSpark.requireModel();
    Path samples = samples();
    ObjectMapper json = new ObjectMapper();
    ObjectNode gt = (ObjectNode) json.readTree(samples.resolve("annotations.json").toFile());
    Path images = Files.createDirectories(dir.resolve("job-images"));
    Set<Long> ids = new HashSet<>();
    ArrayNode keepImages = json.createArrayNode();
    for (JsonNode img : gt.get("images")) {
      if (ids.size() < JOB_IMAGES) {
        ids.add(img.get("id").asLong());
        keepImages.add(img);
        Files.copy(samples.resolve("images").resolve(img.get("file_name").asText()),
            images.resolve(img.get("file_name").asText()));
      }
    }
    keepImages.addObject().put("id", 900001).put("file_name", "val_missing.jpg").put("width", 64).put("height", 64);
    keepImages.addObject().put("id", 900002).put("file_name", "val_corrupt.jpg").put("width", 64).put("height", 64);
    Files.write(images.resolve("val_corrupt.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0x00, 0x11, 0x22});
    ArrayNode keepAnns = json.createArrayNode();
    for (JsonNode a : gt.get("annotations")) {
      if (ids.contains(a.get("image_id").asLong())) {
        keepAnns.add(a);
      }
    }
    gt.set("images", keepImages);
    gt.set("annotations", keepAnns);
    Path subGt = dir.resolve("job-gt.json");
    json.writeValue(subGt.toFile(), gt);
    for (String[] run : new String[][] {{JOB_A, "0.05"}}) {
      TestSpark.CliResult seg = TestSpark.cli("segment", "--coco-images", subGt.toString(), "--image-root",
          images.toString(), "--output", output.toString(), "--model", TestSpark.modelDir().toString(),
          "--run-id", run[0], "--batch-size", "2", "--score-threshold", run[1], "--progress-interval", "60");
      if (seg.exitCode() != 0) {
        throw new IllegalStateException("segment " + run[0] + " failed (" + seg.exitCode() + "):\n" + seg.err());
      }
      refresh();
      jobInstances = TestSpark.session().read().parquet(new OutputLayout(output.toString()).instances())
          .where(Tables.RUN_ID + " = '" + run[0] + "'").count();
      if (jobInstances == 0) {
        System.err.println("ResultFixture: the segment job found no instances on the samples (" + TestSpark.modelDir()
            + "); its run is checked without instances and without evaluation");
        continue;
      }
      TestSpark.CliResult ev = TestSpark.cli("evaluate", "--gt", subGt.toString(), "--detections", output.toString(),
          "--run-id", run[0], "--output", evalOutput.toString());
      if (ev.exitCode() != 0) {
        throw new IllegalStateException("evaluate " + run[0] + " failed (" + ev.exitCode() + "):\n" + ev.err());
      }
    }
    refresh();
  }

  private void refresh() {
    // Spark keeps one file-listing cache per session: without this, a read of a table in this
    // session after another command added a partition to it does not see the new partition
    FileStatusCache$.MODULE$.getOrCreate(TestSpark.session()).invalidateAll();
  }

  static Path samples() {
    String root = System.getProperty("sparkseg.repo.root");
    Path r = root != null ? Path.of(root) : Path.of("..").toAbsolutePath().normalize();
    return r.resolve("samples");
  }

  /** Writes the fixture under {@code dir} ({@code dir/output}, {@code dir/eval}). */
  static ResultFixture write(SparkSession spark, Path dir) throws IOException {
    Path samples = samples();
    CocoDataset gt;
    try (InputStream in = Files.newInputStream(samples.resolve("annotations.json"))) {
      gt = CocoJsonReader.readDataset(in);
    }
    Path out = dir.resolve("output");
    Path eval = dir.resolve("eval");
    List<Row> images = new ArrayList<>();
    List<Row> instances = new ArrayList<>();
    Map<String, List<CocoDetection>> dets = new HashMap<>();
    for (String run : List.of(RUN_A, RUN_B)) {
      boolean v2 = run.equals(RUN_B);
      List<CocoDetection> runDets = new ArrayList<>();
      List<CocoImage> imgs = new ArrayList<>(gt.images());
      imgs.sort((a, b) -> Long.compare(a.id(), b.id()));
      for (CocoImage img : imgs) {
        List<Object[]> inst = new ArrayList<>();
        for (CocoAnnotation a : gt.annotationsOfImage(img.id())) {
          if (a.iscrowd() || a.segmentation() == null) {
            continue;
          }
          double u = unit(a.id() * 31 + (v2 ? 7 : 3));
          if (u < (v2 ? 0.08 : 0.18)) {
            continue; // missed
          }
          Rle mask = a.segmentation().toRle(img.height(), img.width());
          double[] box = mask.toBbox();
          if (!v2 && u > 0.75) {
            // a sloppier mask: the whole box
            mask = Boxes.toRle(box, img.height(), img.width());
          }
          float score = (float) (v2 ? 0.55 + 0.45 * unit(a.id() * 17 + 1) : 0.4 + 0.55 * unit(a.id() * 13 + 5));
          CocoCategory cat = gt.category(a.categoryId());
          float[] kps = null;
          if (a.keypoints() != null) {
            kps = new float[a.keypoints().length];
            for (int k = 0; k < kps.length / 3; k++) {
              double jitter = v2 ? 1 : 4;
              kps[3 * k] = (float) (a.keypoints()[3 * k] + jitter * (unit(a.id() * 101 + k) - 0.5));
              kps[3 * k + 1] = (float) (a.keypoints()[3 * k + 1] + jitter * (unit(a.id() * 103 + k) - 0.5));
              kps[3 * k + 2] = a.keypoints()[3 * k + 2] > 0 ? 0.6f + 0.4f * (float) unit(a.id() * 7 + k) : 0.05f;
            }
          }
          inst.add(new Object[] {a.categoryId(), cat.name(), score, box, mask, kps});
        }
        // a false positive: a low-scoring box of the first category in the image corner
        if (unit(img.id() * 5 + (v2 ? 2 : 1)) < (v2 ? 0.15 : 0.4)) {
          double[] box = {2, 2, Math.min(40, img.width() - 4), Math.min(30, img.height() - 4)};
          Rle mask = Boxes.toRle(box, img.height(), img.width());
          CocoCategory cat = gt.categories().get((int) (img.id() % gt.categories().size()));
          inst.add(new Object[] {cat.id(), cat.name(), (float) (0.3 + 0.3 * unit(img.id())), mask.toBbox(), mask, null});
        }
        inst.sort((x, y) -> Float.compare((Float) y[2], (Float) x[2]));
        for (int i = 0; i < inst.size(); i++) {
          Object[] o = inst.get(i);
          double[] b = (double[]) o[3];
          Rle m = (Rle) o[4];
          float[] k = (float[]) o[5];
          List<Row> kpRows = null;
          double[] kd = null;
          if (k != null) {
            kpRows = new ArrayList<>();
            kd = new double[k.length];
            for (int j = 0; j < k.length / 3; j++) {
              kpRows.add(RowFactory.create(k[3 * j], k[3 * j + 1], k[3 * j + 2]));
            }
            for (int j = 0; j < k.length; j++) {
              kd[j] = k[j];
            }
          }
          instances.add(RowFactory.create(img.id(), i, o[0], o[1], o[2], RowFactory.create(b[0], b[1], b[2], b[3]),
              // mask_score = score, so the fixture's precomputed segm results hold for either ranking
              RowFactory.create(m.height(), m.width(), m.toCompressedString()), m.area(), o[2], kpRows, "sparkseg-maskrcnn",
              v2 ? "2" : "1", run));
          runDets.add(new CocoDetection(img.id(), (Integer) o[0], (Float) o[2], b,
              new Segmentation.RleMask(m, true), kd));
        }
        String path = samples.resolve("images").resolve(img.fileName()).toAbsolutePath().toUri().toString();
        images.add(RowFactory.create(img.id(), path, img.width(), img.height(), "ok", null, inst.size(),
            60 + 140 * unit(img.id() * 3 + (v2 ? 9 : 4)), null, null, null, run));
      }
      images.add(RowFactory.create(100_001L, samples.resolve("images/val_missing.jpg").toUri().toString(), null, null,
          "missing", "file not found: " + samples.resolve("images/val_missing.jpg").toUri(), 0, null, null, null, null,
          run));
      images.add(RowFactory.create(100_002L, samples.resolve("images/broken.jpg").toUri().toString(), null, null,
          "decode_error", "javax.imageio.IIOException: Unsupported JPEG process: SOF type 0xcb", 0, null, null, null,
          null, run));
      dets.put(run, runDets);
    }
    // written as the segment job writes a run: one commit of each run, through the Parquet format's writer
    RunTables tables = RunTables.open(spark, TableFormat.PARQUET, out.toString());
    Dataset<Row> allInstances = spark.createDataFrame(instances, InstancesTable.SCHEMA);
    Dataset<Row> allImages = spark.createDataFrame(images, ImagesTable.SCHEMA);
    for (String run : List.of(RUN_A, RUN_B)) {
      tables.appendCommit(run, "fixture", 0, allInstances.where(functions.col(Tables.RUN_ID).equalTo(run)).coalesce(2),
          allImages.where(functions.col(Tables.RUN_ID).equalTo(run)).coalesce(1));
    }
    for (String run : List.of(RUN_A, RUN_B)) {
      Map<IouType, EvalSummary> results = new EnumMap<>(IouType.class);
      Map<IouType, ErrorSummary> errors = new EnumMap<>(IouType.class);
      for (IouType t : List.of(IouType.BBOX, IouType.SEGM, IouType.KEYPOINTS)) {
        List<CocoDetection> d = dets.get(run);
        if (t == IouType.KEYPOINTS) {
          d = d.stream().filter(x -> x.keypoints() != null).toList();
        }
        results.put(t, EvalSummary.of(CocoEvaluator.evaluate(gt, d, t)));
        if (t != IouType.KEYPOINTS) {
          errors.put(t, ErrorEvaluator.analyse(gt, LoadRes.apply(gt, d, LoadRes.AreaSource.AUTO),
              CocoEvaluator.defaultParams(gt, t)));
        }
      }
      EvalOutputs.writeTables(spark, eval.toString(), run, gt, results, errors);
    }
    ResultFixture f = new ResultFixture(out, eval);
    f.addJobRuns(dir);
    return f;
  }

  /** A deterministic value in [0, 1) from a seed. */
  static double unit(long seed) {
    long z = seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return (z >>> 11) * 0x1.0p-53;
  }
}
