package io.sparkseg.job.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.core.image.DecodeResult;
import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.mask.Rle;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.FileStatusCache$;
import org.apache.spark.sql.functions;

/**
 * A self-contained HTML report of one segmentation run: summary figures, images by status and
 * the failures, class and score distributions, latency, a grid of sample images with their
 * masks, boxes and keypoints drawn in (PNG data: URIs), and, given the evaluate command's
 * output, COCO metrics and precision-recall curves. Charts are inline SVG; the page loads
 * nothing from anywhere.
 */
public final class RunReport {
  private static final AtomicLong VIEWS = new AtomicLong();
  private static final long MAX_IMAGE_BYTES = 64L << 20;

  private RunReport() {}

  /**
   * What to report on.
   *
   * @param output the segment job's output folder (holding {@code instances/} and {@code images/})
   * @param runId the run
   * @param evalOutput the evaluate job's output folder, or null
   * @param samples how many sample images to draw
   * @param minScore instances drawn on the samples have at least this score
   * @param thumbWidth sample image width in pixels
   */
  public record Options(String output, String runId, String evalOutput, int samples, double minScore, int thumbWidth) {
    public Options {
      if (output == null || runId == null) {
        throw new IllegalArgumentException("the report needs an output folder and a run id");
      }
    }

    public Options(String output, String runId, String evalOutput) {
      this(output, runId, evalOutput, 12, 0.5, 360);
    }
  }

  /** Writes the report to {@code target} (any Hadoop file system path), replacing it. */
  public static void write(SparkSession spark, Options o, String target) throws IOException {
    String html = html(spark, o);
    Path p = new Path(target);
    FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
    try (OutputStream out = fs.create(p, true)) {
      out.write(html.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** The report as an HTML document. */
  public static String html(SparkSession spark, Options o) throws IOException {
    String root = o.output().endsWith("/") ? o.output().substring(0, o.output().length() - 1) : o.output();
    String id = "sparkseg_report_" + VIEWS.incrementAndGet();
    String images = id + "_images";
    String inst = id + "_instances";
    // a report is often made in the session that just wrote the run: drop the session's cached
    // file listings, or the new run_id partition may not be seen
    FileStatusCache$.MODULE$.getOrCreate(spark).invalidateAll();
    spark.read().parquet(root + "/images").where(functions.col("run_id").equalTo(o.runId())).createOrReplaceTempView(images);
    spark.read().parquet(root + "/instances").where(functions.col("run_id").equalTo(o.runId())).createOrReplaceTempView(inst);
    try {
      Page page = new Page(o, root);
      page.header(spark, images, inst);
      page.status(spark, images);
      page.classes(spark, inst);
      page.samples(spark, images, inst);
      if (o.evalOutput() != null) {
        page.evaluation(spark, id);
      }
      return page.finish();
    } finally {
      spark.catalog().dropTempView(images);
      spark.catalog().dropTempView(inst);
    }
  }

  private static List<Row> sql(SparkSession spark, String q) {
    return spark.sql(q).collectAsList();
  }

  private static String quote(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static double num(Row r, int i) {
    return r.isNullAt(i) ? Double.NaN : ((Number) r.get(i)).doubleValue();
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "–" : Svg.fmt(v);
  }

  /** The document being built. */
  private static final class Page {
    private final Options o;
    private final String root;
    private final StringBuilder body = new StringBuilder();
    private final List<String> nav = new ArrayList<>();
    private String title;

    Page(Options o, String root) {
      this.o = o;
      this.root = root;
    }

    private void section(String id, String heading) {
      nav.add("<a href=\"#" + id + "\">" + Html.esc(heading) + "</a>");
      body.append("<section id=\"").append(id).append("\"><h2>").append(Html.esc(heading)).append("</h2>\n");
    }

    void header(SparkSession spark, String images, String inst) throws IOException {
      Row t = sql(spark, "SELECT count(*), count_if(status = 'ok'), count_if(status <> 'ok'), sum(num_instances),"
          + " avg(inference_ms), percentile(inference_ms, 0.5), percentile(inference_ms, 0.95) FROM " + images).get(0);
      if (t.getLong(0) == 0) {
        throw new IllegalArgumentException("run " + o.runId() + " has no images under " + root + "/images");
      }
      List<Row> models = sql(spark, "SELECT model_name, model_version, count(*) FROM " + inst
          + " GROUP BY 1, 2 ORDER BY 3 DESC");
      long classes = sql(spark, "SELECT count(DISTINCT category_id) FROM " + inst).get(0).getLong(0);
      title = "sparkseg run " + o.runId();
      body.append("<header><h1>").append(Html.esc(title)).append("</h1><p class=\"meta\">Output <code>")
          .append(Html.esc(root)).append("</code>");
      for (Row m : models) {
        body.append(" · model <b>").append(Html.esc(m.getString(0))).append("</b> version <b>")
            .append(Html.esc(m.getString(1))).append("</b>");
      }
      body.append(" · generated ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append("</p></header>\n");
      section("summary", "Summary");
      double mean = num(t, 4);
      body.append("<div class=\"cards\">");
      card("images", fmt(t.getLong(0)));
      card("segmented", fmt(t.getLong(1)));
      card("failed", fmt(t.getLong(2)), t.getLong(2) > 0 ? "bad" : "");
      card("instances", fmt(t.isNullAt(3) ? 0 : t.getLong(3)));
      card("classes", fmt(classes));
      card("mean inference ms", fmt(mean));
      card("p50 / p95 ms", fmt(num(t, 5)) + " / " + fmt(num(t, 6)));
      card("images/s per slot", Double.isNaN(mean) || mean <= 0 ? "–" : fmt(1000 / mean));
      body.append("</div>\n");
      Map<String, String> summary = runSummary(spark.sparkContext().hadoopConfiguration());
      if (!summary.isEmpty()) {
        body.append("<details><summary>Run summary (<code>_summary/").append(Html.esc(o.runId()))
            .append(".json</code>)</summary><table class=\"kv\">");
        summary.forEach((k, v) -> body.append("<tr><th>").append(Html.esc(k)).append("</th><td>").append(Html.esc(v))
            .append("</td></tr>"));
        body.append("</table></details>\n");
      }
      List<Row> lat = sql(spark, "SELECT inference_ms FROM " + images + " WHERE status = 'ok' AND inference_ms IS NOT NULL");
      if (!lat.isEmpty()) {
        double[] v = lat.stream().mapToDouble(r -> r.getDouble(0)).sorted().toArray();
        double hi = v[(int) Math.min(v.length - 1, Math.ceil(v.length * 0.99))];
        double width = Math.max(1, Math.ceil(hi / 20));
        double[] edges = new double[21];
        double[] counts = new double[21];
        for (int i = 0; i < edges.length; i++) {
          edges[i] = i * width;
        }
        for (double x : v) {
          counts[(int) Math.min(20, Math.floor(x / width))]++;
        }
        body.append(Svg.histogram("Inference time per image (ms; last bin: the rest)", edges, counts, "ms", "#4363d8", 640));
      }
      body.append("</section>\n");
    }

    private void card(String label, String value) {
      card(label, value, "");
    }

    private void card(String label, String value, String cls) {
      body.append("<div class=\"card ").append(cls).append("\"><div class=\"v\">").append(Html.esc(value))
          .append("</div><div class=\"l\">").append(Html.esc(label)).append("</div></div>");
    }

    private Map<String, String> runSummary(Configuration conf) {
      Map<String, String> out = new LinkedHashMap<>();
      try {
        Path p = new Path(root + "/_summary/" + o.runId() + ".json");
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.exists(p)) {
          return out;
        }
        JsonNode n;
        try (InputStream in = fs.open(p)) {
          n = new ObjectMapper().readTree(in);
        }
        n.fields().forEachRemaining(e -> {
          if (e.getValue().isValueNode()) {
            out.put(e.getKey(), e.getValue().asText());
          } else if (e.getValue().isObject() && e.getValue().size() <= 12) {
            out.put(e.getKey(), e.getValue().toString());
          }
        });
      } catch (IOException | RuntimeException e) {
        out.put("(unreadable)", e.getMessage());
      }
      return out;
    }

    void status(SparkSession spark, String images) {
      section("status", "Images by status");
      List<Svg.Bar> bars = new ArrayList<>();
      for (Row r : sql(spark, "SELECT status, count(*) FROM " + images + " GROUP BY status ORDER BY 2 DESC")) {
        bars.add(new Svg.Bar(r.getString(0), r.getLong(1), "ok".equals(r.getString(0)) ? "#3cb44b" : "#e6194b"));
      }
      body.append(Svg.horizontalBars("Images by status", bars, 640));
      List<Row> failed = sql(spark, "SELECT status, path, error FROM " + images
          + " WHERE status <> 'ok' ORDER BY status, path LIMIT 101");
      if (failed.isEmpty()) {
        body.append("<p>Every image was segmented.</p>");
      } else {
        body.append("<h3>Failures</h3><table class=\"sortable\"><thead><tr><th>status</th><th>path</th><th>error</th></tr></thead><tbody>");
        for (int i = 0; i < Math.min(100, failed.size()); i++) {
          Row r = failed.get(i);
          body.append("<tr><td>").append(Html.esc(r.getString(0))).append("</td><td><code>").append(Html.esc(r.getString(1)))
              .append("</code></td><td>").append(Html.esc(r.getString(2))).append("</td></tr>");
        }
        body.append("</tbody></table>");
        if (failed.size() > 100) {
          body.append("<p>(first 100 shown)</p>");
        }
      }
      body.append("</section>\n");
    }

    void classes(SparkSession spark, String inst) {
      section("classes", "Classes and scores");
      List<Row> rows = sql(spark, "SELECT category_id, category_name, count(*), count(DISTINCT image_id), avg(score),"
          + " percentile(mask_area, 0.5), count_if(score >= " + o.minScore() + ") FROM " + inst
          + " GROUP BY category_id, category_name ORDER BY 3 DESC, 1");
      if (rows.isEmpty()) {
        body.append("<p>No instances.</p></section>\n");
        return;
      }
      List<Svg.Bar> bars = new ArrayList<>();
      for (Row r : rows) {
        bars.add(new Svg.Bar(r.getString(1), r.getLong(2), Overlay.color(r.getInt(0))));
      }
      body.append("<div class=\"row\">").append(Svg.horizontalBars("Instances per class", bars, 520));
      double[] edges = new double[20];
      double[] counts = new double[20];
      for (int i = 0; i < 20; i++) {
        edges[i] = i / 20.0;
      }
      for (Row r : sql(spark, "SELECT least(CAST(floor(score * 20) AS INT), 19), count(*) FROM " + inst + " GROUP BY 1")) {
        counts[Math.max(0, r.getInt(0))] = r.getLong(1);
      }
      body.append(Svg.histogram("Score histogram (all classes)", edges, counts, "score", "#f58231", 520)).append("</div>");
      body.append("<table class=\"sortable\"><thead><tr><th>class</th><th>id</th><th>instances</th><th>images</th>"
          + "<th>score ≥ ").append(fmt(o.minScore())).append("</th><th>mean score</th><th>median mask area</th></tr></thead><tbody>");
      for (Row r : rows) {
        body.append("<tr><td><span class=\"swatch\" style=\"background:").append(Overlay.color(r.getInt(0))).append("\"></span>")
            .append(Html.esc(r.getString(1))).append("</td><td>").append(r.getInt(0)).append("</td><td>").append(r.getLong(2))
            .append("</td><td>").append(r.getLong(3)).append("</td><td>").append(r.getLong(6)).append("</td><td>")
            .append(fmt(num(r, 4))).append("</td><td>").append(fmt(num(r, 5))).append("</td></tr>");
      }
      body.append("</tbody></table></section>\n");
    }

    void samples(SparkSession spark, String images, String inst) {
      section("samples", "Sample images");
      // the best images of each class in turn, so every class shows up
      List<Row> ranked = sql(spark, "SELECT image_id, r FROM (SELECT image_id, category_id, row_number() OVER"
          + " (PARTITION BY category_id ORDER BY s DESC, image_id) AS r, s FROM (SELECT image_id, category_id,"
          + " max(score) AS s FROM " + inst + " WHERE score >= " + o.minScore() + " GROUP BY 1, 2))"
          + " WHERE r <= " + o.samples() + " ORDER BY r, s DESC, image_id");
      Set<Long> ids = new LinkedHashSet<>();
      for (Row r : ranked) {
        if (ids.size() >= o.samples()) {
          break;
        }
        ids.add(r.getLong(0));
      }
      if (ids.isEmpty()) {
        body.append("<p>No instances with score ≥ ").append(fmt(o.minScore())).append(".</p></section>\n");
        return;
      }
      String in = ids.stream().map(String::valueOf).reduce((a, b) -> a + ", " + b).orElse("");
      Map<Long, Row> imgs = new LinkedHashMap<>();
      for (Row r : sql(spark, "SELECT image_id, path, width, height FROM " + images + " WHERE image_id IN (" + in + ")")) {
        imgs.put(r.getLong(0), r);
      }
      Map<Long, List<Overlay.Shape>> shapes = new TreeMap<>();
      Dataset<Row> sel = spark.sql("SELECT image_id, category_id, category_name, score, bbox, mask, keypoints FROM " + inst
          + " WHERE score >= " + o.minScore() + " AND image_id IN (" + in + ") ORDER BY image_id, score DESC");
      for (Row r : sel.collectAsList()) {
        List<Overlay.Shape> l = shapes.computeIfAbsent(r.getLong(0), k -> new ArrayList<>());
        if (l.size() >= 40) {
          continue;
        }
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
        l.add(new Overlay.Shape(r.getInt(1), r.getString(2), r.getFloat(3),
            new double[] {b.getDouble(0), b.getDouble(1), b.getDouble(2), b.getDouble(3)},
            Rle.fromCompressedString(m.getInt(0), m.getInt(1), m.getString(2)), kps));
      }
      ImageDecoder decoder = new ImageDecoder();
      Configuration conf = spark.sparkContext().hadoopConfiguration();
      body.append("<p>The best-scoring images of each class in turn; instances with score ≥ ").append(fmt(o.minScore()))
          .append(". Click an image to enlarge it.</p><div class=\"grid\">");
      for (long imageId : ids) {
        Row img = imgs.get(imageId);
        List<Overlay.Shape> sh = shapes.getOrDefault(imageId, List.of());
        body.append("<figure>");
        String path = img == null ? null : img.getString(1);
        String problem = null;
        if (path == null) {
          problem = "image " + imageId + " is not in the images table";
        } else {
          try {
            DecodeResult d = decoder.decode(read(conf, path));
            if (!d.isOk()) {
              problem = d.status() + ": " + d.message();
            } else {
              byte[] png = Overlay.png(Overlay.draw(Overlay.toImage(d.image()), sh, o.thumbWidth()));
              body.append("<img alt=\"image ").append(imageId).append("\" src=\"data:image/png;base64,")
                  .append(Base64.getEncoder().encodeToString(png)).append("\">");
            }
          } catch (IOException | RuntimeException e) {
            problem = "cannot read: " + e.getMessage();
          }
        }
        if (problem != null) {
          body.append("<div class=\"missing\">").append(Html.esc(problem)).append("</div>");
        }
        Map<String, Integer> perClass = new TreeMap<>();
        for (Overlay.Shape s : sh) {
          perClass.merge(s.label(), 1, Integer::sum);
        }
        body.append("<figcaption><b>").append(imageId).append("</b> ")
            .append(Html.esc(path == null ? "" : path.substring(path.lastIndexOf('/') + 1))).append("<br>");
        perClass.forEach((k, v) -> body.append(Html.esc(k)).append(" ×").append(v).append(" "));
        body.append("</figcaption></figure>");
      }
      body.append("</div></section>\n");
    }

    private static byte[] read(Configuration conf, String path) throws IOException {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(conf);
      long len = fs.getFileStatus(p).getLen();
      if (len > MAX_IMAGE_BYTES) {
        throw new IOException("image is " + len + " bytes");
      }
      try (InputStream in = fs.open(p)) {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) len);
        in.transferTo(out);
        return out.toByteArray();
      }
    }

    void evaluation(SparkSession spark, String id) {
      section("evaluation", "Evaluation");
      String ev = o.evalOutput().endsWith("/") ? o.evalOutput() : o.evalOutput() + "/";
      String summary = id + "_eval_summary";
      String perCat = id + "_eval_per_category";
      String curves = id + "_eval_pr_curves";
      try {
        spark.read().parquet(ev + "eval_summary").where(functions.col("run_id").equalTo(o.runId())).createOrReplaceTempView(summary);
        spark.read().parquet(ev + "eval_per_category").where(functions.col("run_id").equalTo(o.runId())).createOrReplaceTempView(perCat);
        spark.read().parquet(ev + "eval_pr_curves").where(functions.col("run_id").equalTo(o.runId())).createOrReplaceTempView(curves);
      } catch (RuntimeException e) {
        body.append("<p class=\"bad\">No evaluation tables under <code>").append(Html.esc(ev)).append("</code>: ")
            .append(Html.esc(e.getMessage())).append("</p></section>\n");
        return;
      }
      try {
        List<Row> stats = sql(spark, "SELECT iou_type, stat_index, stat_name, value FROM " + summary + " ORDER BY iou_type, stat_index");
        if (stats.isEmpty()) {
          body.append("<p>Run ").append(Html.esc(o.runId())).append(" has no evaluation results.</p></section>\n");
          return;
        }
        Map<String, Map<String, Double>> byType = new TreeMap<>();
        Set<String> names = new LinkedHashSet<>();
        for (Row r : stats) {
          byType.computeIfAbsent(r.getString(0), k -> new LinkedHashMap<>()).put(r.getString(2), r.getDouble(3));
          names.add(r.getString(2));
        }
        body.append("<div class=\"cards\">");
        byType.forEach((t, m) -> card(t + " AP", m.containsKey("AP") ? fmt(m.get("AP")) : "–"));
        body.append("</div><table><thead><tr><th>statistic</th>");
        byType.keySet().forEach(t -> body.append("<th>").append(Html.esc(t)).append("</th>"));
        body.append("</tr></thead><tbody>");
        for (String n : names) {
          body.append("<tr><th>").append(Html.esc(n)).append("</th>");
          for (Map<String, Double> m : byType.values()) {
            Double v = m.get(n);
            body.append("<td>").append(v == null ? "" : v < 0 ? "–" : String.format(Locale.ROOT, "%.3f", v)).append("</td>");
          }
          body.append("</tr>");
        }
        body.append("</tbody></table>");
        Map<Integer, String> catNames = new TreeMap<>();
        body.append("<h3>Per category (area all)</h3><table class=\"sortable\"><thead><tr><th>iou type</th><th>class</th>"
            + "<th>AP</th><th>AP50</th><th>AP75</th><th>AR</th></tr></thead><tbody>");
        for (Row r : sql(spark, "SELECT iou_type, category_id, category_name, ap, ap50, ap75, ar FROM " + perCat
            + " ORDER BY iou_type, ap DESC")) {
          String name = r.isNullAt(2) ? String.valueOf(r.getInt(1)) : r.getString(2);
          catNames.put(r.getInt(1), name);
          body.append("<tr><td>").append(Html.esc(r.getString(0))).append("</td><td>").append(Html.esc(name)).append("</td>");
          for (int i = 3; i <= 6; i++) {
            double v = r.getDouble(i);
            body.append("<td>").append(v < 0 ? "–" : String.format(Locale.ROOT, "%.3f", v)).append("</td>");
          }
          body.append("</tr>");
        }
        body.append("</tbody></table><h3>Precision–recall curves (area all)</h3><div class=\"row\">");
        List<Row> pr = sql(spark, "SELECT iou_type, category_id, round(iou_threshold, 2) AS t, recall_threshold, precision FROM "
            + curves + " WHERE area = 'all' AND precision >= 0 AND (abs(iou_threshold - 0.5) < 1e-9"
            + " OR abs(iou_threshold - 0.75) < 1e-9) ORDER BY iou_type, t, category_id, recall_threshold");
        Map<String, Map<Integer, List<double[]>>> series = new TreeMap<>();
        for (Row r : pr) {
          String key = r.getString(0) + ", IoU " + String.format(Locale.ROOT, "%.2f", r.getDouble(2));
          series.computeIfAbsent(key, k -> new TreeMap<>()).computeIfAbsent(r.getInt(1), k -> new ArrayList<>())
              .add(new double[] {r.getDouble(3), r.getDouble(4)});
        }
        series.forEach((key, cats) -> {
          List<Svg.Series> lines = new ArrayList<>();
          cats.forEach((cat, pts) -> {
            double[] x = new double[pts.size()];
            double[] y = new double[pts.size()];
            for (int i = 0; i < x.length; i++) {
              x[i] = pts.get(i)[0];
              y[i] = pts.get(i)[1];
            }
            lines.add(new Svg.Series(catNames.getOrDefault(cat, String.valueOf(cat)), x, y, Overlay.color(cat)));
          });
          body.append(Svg.unitLines(key, lines, "recall", "precision", 520));
        });
        body.append("</div></section>\n");
      } finally {
        spark.catalog().dropTempView(summary);
        spark.catalog().dropTempView(perCat);
        spark.catalog().dropTempView(curves);
      }
    }

    String finish() {
      StringBuilder h = new StringBuilder(body.length() + 4096);
      h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
          .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
          .append("<title>").append(Html.esc(title)).append("</title><script>").append(ERROR_TRAP).append("</script><style>").append(CSS).append("</style></head>\n<body>")
          .append("<nav>").append(String.join(" ", nav)).append("</nav><main>").append(body)
          .append("</main><script>").append(JS).append("</script></body></html>\n");
      return h.toString();
    }
  }

  private static final String CSS = String.join("\n",
      "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1d2230;background:#f6f7fb}",
      "nav{position:sticky;top:0;background:#1d2230;padding:8px 24px;z-index:2}nav a{color:#cfd6ea;margin-right:18px;text-decoration:none}",
      "main{max-width:1220px;margin:0 auto;padding:8px 24px 48px}header h1{margin:18px 0 4px;font-size:24px}.meta{color:#5b6275;margin:0}",
      "section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:12px 20px 18px;margin:18px 0}",
      "h2{font-size:18px;margin:6px 0 12px}h3{font-size:15px;margin:16px 0 8px}",
      ".cards{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:12px}.card{background:#eef1f8;border-radius:6px;padding:8px 14px;min-width:110px}",
      ".card .v{font-size:20px;font-weight:600}.card .l{color:#5b6275;font-size:12px}.card.bad .v,.bad{color:#c0392b}",
      "table{border-collapse:collapse;margin:6px 0;font-size:13px}th,td{border-bottom:1px solid #e3e6ee;padding:4px 10px;text-align:left;vertical-align:top}",
      "thead th{background:#f0f2f7;cursor:pointer;user-select:none}td code{font-size:12px;word-break:break-all}",
      ".swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}",
      ".row{display:flex;flex-wrap:wrap;gap:16px}.chart{background:#fff}.chart .title{font-weight:600;font-size:13px}",
      ".chart .label,.chart .value,.chart .tick,.chart .legend,.chart .axis{font-size:11px;fill:#39404f}.chart .axisline{stroke:#8a90a0}.chart .grid{stroke:#eceef3}",
      ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(270px,1fr));gap:14px;align-items:start}",
      "figure{margin:0;background:#f0f2f7;border-radius:6px;overflow:hidden}figure img{width:100%;display:block;cursor:zoom-in}",
      "figure.big{grid-column:1/-1}figure.big img{cursor:zoom-out;max-width:100%;width:auto;margin:auto}",
      "figcaption{padding:6px 8px;font-size:12px;color:#39404f}.missing{padding:40px 10px;color:#c0392b;font-size:12px}",
      "details{margin:8px 0}.kv th{font-weight:500;color:#5b6275}");

  /** Records script errors on the root element (data-report-errors), so a headless check can see them. */
  private static final String ERROR_TRAP = "window.addEventListener('error',function(e){var d=document.documentElement;"
      + "d.setAttribute('data-report-errors',(d.getAttribute('data-report-errors')||'')+(e.message||'error')+';');});";

  private static final String JS = String.join("\n",
      "(function(){",
      "  document.querySelectorAll('table.sortable').forEach(function(t){",
      "    t.querySelectorAll('thead th').forEach(function(th,i){",
      "      th.addEventListener('click',function(){",
      "        var rows=Array.prototype.slice.call(t.tBodies[0].rows);var asc=th.dataset.dir!=='asc';th.dataset.dir=asc?'asc':'desc';",
      "        rows.sort(function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent,nx=parseFloat(x),ny=parseFloat(y);",
      "          var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return asc?c:-c;});",
      "        rows.forEach(function(r){t.tBodies[0].appendChild(r);});",
      "      });",
      "    });",
      "  });",
      "  document.querySelectorAll('figure img').forEach(function(img){",
      "    img.addEventListener('click',function(){img.parentNode.classList.toggle('big');});",
      "  });",
      "  document.body.setAttribute('data-report-ready',String(document.querySelectorAll('svg.chart').length));",
      "})();");
}
