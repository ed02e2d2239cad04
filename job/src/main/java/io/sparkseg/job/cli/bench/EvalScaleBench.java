package io.sparkseg.job.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparkseg.core.coco.CocoAnnotation;
import io.sparkseg.core.coco.CocoCategory;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoImage;
import io.sparkseg.core.coco.CocoJsonWriter;
import io.sparkseg.job.evaluate.EvaluateBench;
import io.sparkseg.job.evaluate.SyntheticEvalCase;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench eval-scale}: {@code evaluate} at dataset size. Generates a synthetic case
 * ({@link SyntheticEvalCase}, chunk by chunk so the generator's memory stays small) as a COCO
 * ground-truth JSON, an instances table (one Parquet file per chunk) and a COCO results JSON, then
 * runs {@code evaluate} on the table and on the JSON, each in a child JVM with a fixed heap: wall
 * time, heap peak (GC log), the largest task, broadcast and task result Spark reports
 * ({@link TaskSizes}) and the stats.
 */
@Command(name = "eval-scale", mixinStandardHelpOptions = true,
    description = "evaluate on a generated case of --images images (GT JSON, instances table, results JSON), each run "
        + "a child JVM with --driver-heap: wall time, heap peak, largest task / broadcast / task result.")
final class EvalScaleBench implements Callable<Integer> {
  private static final int CHUNK_IMAGES = 10_000;
  private static final Pattern SIZES = Pattern.compile("task sizes: tasks (\\d+), largest task (\\d+) bytes, "
      + "largest task result (\\d+) bytes, largest broadcast (\\d+) bytes");

  @Spec CommandSpec spec;

  @Option(names = "--images", defaultValue = "200000", description = "Images (default: ${DEFAULT-VALUE}).")
  int images;

  @Option(names = "--gts-per-image", defaultValue = "2", description = "GT objects per image (default: ${DEFAULT-VALUE}).")
  int gtsPerImage;

  @Option(names = "--dets-per-image", defaultValue = "3", description = "Detections per image (default: ${DEFAULT-VALUE}).")
  int detsPerImage;

  @Option(names = "--driver-heap", defaultValue = "1g",
      description = "-Xmx of each evaluate JVM (local mode: it also runs the tasks) (default: ${DEFAULT-VALUE}).")
  String driverHeap;

  @Option(names = "--master", defaultValue = "local[2]", description = "Spark master (default: ${DEFAULT-VALUE}).")
  String master;

  @Option(names = "--partitions", defaultValue = "16", description = "evaluate's --partitions (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--iou-types", defaultValue = "bbox,segm", description = "evaluate's --iou-types (default: ${DEFAULT-VALUE}).")
  String iouTypes;

  @Option(names = "--inputs", defaultValue = "table,json", split = ",",
      description = "Which detections to evaluate: table, json or both (default: ${DEFAULT-VALUE}).")
  List<String> inputs;

  @Option(names = "--work-dir", defaultValue = "out/bench-eval-scale", description = "Scratch folder (default: ${DEFAULT-VALUE}).")
  Path workDir;

  @Option(names = "--timeout-minutes", defaultValue = "120", description = "Limit per run (default: ${DEFAULT-VALUE}).")
  long timeoutMinutes;

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(workDir);
    Path gt = workDir.resolve("gt.json");
    Path dt = workDir.resolve("dt.json");
    Path table = workDir.resolve("instances");
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("what", "evaluate (" + iouTypes + ") on " + images + " images, " + gtsPerImage + " GT and "
        + detsPerImage + " detections per image, " + master + ", --partitions " + partitions
        + ", each run a child JVM with -Xmx" + driverHeap);
    String key = images + "/" + gtsPerImage + "/" + detsPerImage;
    Path marker = workDir.resolve("generated");
    if (!Files.exists(marker) || !Files.readString(marker).equals(key)) {
      long t0 = System.nanoTime();
      generate(gt, dt, table);
      Files.writeString(marker, key);
      report.put("generated_s", round((System.nanoTime() - t0) / 1e9));
      write(report);
    }
    report.put("gt_json_mb", round(Files.size(gt) / 1048576.0));
    report.put("results_json_mb", round(Files.size(dt) / 1048576.0));
    for (String input : inputs) {
      boolean json = input.trim().equals("json");
      report.put(input.trim(), run(input.trim(), gt.toString(), (json ? dt : table).toString(), json ? "json" : "parquet"));
      write(report); // after each run: the figures so far
    }
    return 0;
  }

  private void write(Map<String, Object> report) throws java.io.IOException {
    String text = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report);
    Files.writeString(workDir.resolve("report.json"), text);
    spec.commandLine().getOut().println(text);
    spec.commandLine().getOut().flush();
  }

  private Map<String, Object> run(String name, String gt, String detections, String format) throws Exception {
    Path summary = workDir.resolve(name + ".summary.json");
    Files.deleteIfExists(summary);
    List<String> args = new ArrayList<>(List.of("evaluate", "--ground-truth", gt, "--detections", detections,
        "--detections-format", format, "--iou-types", iouTypes, "--engine", "spark", // it measures Spark's tasks
        "--partitions", Integer.toString(partitions),
        "--summary-json", summary.toString(), "--conf", "spark.master=" + master, "--conf", "spark.ui.enabled=false",
        "--conf", "spark.extraListeners=" + TaskSizes.class.getName()));
    double loadBefore = load();
    ChildJvm child = ChildJvm.start(workDir, name, driverHeap, args);
    int rc = child.waitFor(Duration.ofMinutes(timeoutMinutes));
    if (rc != 0) {
      throw new IllegalStateException("evaluate on the " + name + " exited " + rc + ":\n" + child.logTail());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("wall_s", round(child.seconds()));
    HeapPeak heap = child.heap();
    out.put("heap_peak_mb", round(heap.usedMb()));
    out.put("heap_after_gc_max_mb", round(heap.afterGcMb()));
    out.put("gc_pauses", heap.collections());
    Matcher s = SIZES.matcher(Files.readString(child.log()));
    if (s.find()) {
      out.put("tasks", Long.parseLong(s.group(1)));
      out.put("largest_task_bytes", Long.parseLong(s.group(2)));
      out.put("largest_task_result_bytes", Long.parseLong(s.group(3)));
      out.put("largest_broadcast_bytes", Long.parseLong(s.group(4)));
    }
    JsonNode sum = new ObjectMapper().readTree(summary.toFile());
    sum.fields().forEachRemaining(e -> out.put(e.getKey() + "_AP", e.getValue().get("stats").get(0).asDouble()));
    out.put("load_average_before_after", List.of(round(loadBefore), round(load())));
    return out;
  }

  /** The case chunk by chunk: ids made unique across chunks, images written after the annotations. */
  private void generate(Path gt, Path dt, Path table) throws Exception {
    SparkSession spark = SparkSession.builder().master(master).appName("bench eval-scale")
        .config("spark.ui.enabled", "false").getOrCreate();
    List<CocoImage> allImages = new ArrayList<>(images);
    long annId = 1;
    try (OutputStream g = new BufferedOutputStream(Files.newOutputStream(gt), 1 << 20);
        OutputStream d = new BufferedOutputStream(Files.newOutputStream(dt), 1 << 20);
        CocoJsonWriter gw = CocoJsonWriter.annotations(g);
        CocoJsonWriter dw = CocoJsonWriter.results(d)) {
      List<CocoCategory> categories = null;
      gw.startArray("annotations");
      for (int from = 0, chunk = 0; from < images; from += CHUNK_IMAGES, chunk++) {
        int n = Math.min(CHUNK_IMAGES, images - from);
        SyntheticEvalCase.Case c = SyntheticEvalCase.generate(n, n * gtsPerImage, n * detsPerImage, 20240601L + chunk);
        long shift = 7L * from; // generate() numbers images 1000 + 7 i
        categories = c.groundTruth().categories();
        for (CocoImage i : c.groundTruth().images()) {
          allImages.add(new CocoImage(i.id() + shift, i.width(), i.height(), (i.id() + shift) + ".jpg"));
        }
        for (CocoAnnotation a : c.groundTruth().annotations()) {
          gw.annotation(new CocoAnnotation(annId++, a.imageId() + shift, a.categoryId(), a.iscrowd(), a.area(), a.bbox(),
              a.segmentation(), a.keypoints(), a.numKeypoints()));
        }
        List<CocoDetection> shifted = new ArrayList<>(c.detections().size());
        for (CocoDetection x : c.detections()) {
          shifted.add(new CocoDetection(x.imageId() + shift, x.categoryId(), x.score(), x.bbox(), x.segmentation(),
              x.keypoints()));
        }
        for (CocoDetection x : shifted) {
          dw.detection(x);
        }
        EvaluateBench.writeInstances(spark, new SyntheticEvalCase.Case(c.groundTruth(), shifted), table.toString(),
            chunk == 0 ? org.apache.spark.sql.SaveMode.Overwrite : org.apache.spark.sql.SaveMode.Append);
        spec.commandLine().getOut().println("generated " + (from + n) + " of " + images + " images");
        spec.commandLine().getOut().flush();
      }
      gw.endArray();
      gw.startArray("categories");
      for (CocoCategory cat : categories) {
        gw.category(cat);
      }
      gw.endArray();
      gw.startArray("images");
      for (CocoImage i : allImages) {
        gw.image(i);
      }
      gw.endArray();
    } finally {
      spark.stop();
    }
  }

  private static double load() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
