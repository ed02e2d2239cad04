package io.sparkseg.job.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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

/**
 * The report's HTML: sections assembled from the values {@link ReportQueries} returns, and the
 * page's style and script (resources next to this class) inlined, so the file loads nothing.
 */
final class ReportPage {
  /** The stylesheet, the script that records script errors (first, so it sees the others') and the page's script. */
  static final String CSS = resource("report.css");
  static final String ERROR_TRAP = resource("error-trap.js");
  static final String JS = resource("report.js");

  /** A sample image: its thumbnail as PNG, or why there is none, and the instances drawn on it. */
  record Sample(long imageId, String path, byte[] png, String problem, List<Overlay.Shape> shapes) {}

  private final String title;
  private final StringBuilder body = new StringBuilder();
  private final List<String> nav = new ArrayList<>();

  ReportPage(String title) {
    this.title = title;
  }

  private static String resource(String name) {
    try (InputStream in = ReportPage.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("report resource " + name + " is missing from the classpath");
      }
      String s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read report resource " + name, e);
    }
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "–" : Svg.fmt(v);
  }

  private static String ap(double v) {
    return v < 0 ? "–" : String.format(Locale.ROOT, "%.3f", v);
  }

  private void section(String id, String heading) {
    nav.add("<a href=\"#" + id + "\">" + Html.esc(heading) + "</a>");
    body.append("<section id=\"").append(id).append("\"><h2>").append(Html.esc(heading)).append("</h2>\n");
  }

  private void card(String label, String value) {
    card(label, value, "");
  }

  private void card(String label, String value, String cls) {
    body.append("<div class=\"card ").append(cls).append("\"><div class=\"v\">").append(Html.esc(value))
        .append("</div><div class=\"l\">").append(Html.esc(label)).append("</div></div>");
  }

  /** The page header and the summary section. */
  void summary(String root, List<ReportQueries.Model> models, ReportQueries.Totals t, long classes,
      String summaryName, Map<String, String> runSummary, double[] latencies) {
    body.append("<header><h1>").append(Html.esc(title)).append("</h1><p class=\"meta\">Output <code>")
        .append(Html.esc(root)).append("</code>");
    for (ReportQueries.Model m : models) {
      body.append(" · model <b>").append(Html.esc(m.name())).append("</b> version <b>")
          .append(Html.esc(m.version())).append("</b>");
    }
    body.append(" · generated ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append("</p></header>\n");
    section("summary", "Summary");
    double mean = t.meanMs();
    body.append("<div class=\"cards\">");
    card("images", fmt(t.images()));
    card("segmented", fmt(t.ok()));
    card("failed", fmt(t.failed()), t.failed() > 0 ? "bad" : "");
    card("instances", fmt(t.instances()));
    card("classes", fmt(classes));
    card("mean inference ms", fmt(mean));
    card("p50 / p95 ms", fmt(t.p50Ms()) + " / " + fmt(t.p95Ms()));
    card("images/s per slot", Double.isNaN(mean) || mean <= 0 ? "–" : fmt(1000 / mean));
    body.append("</div>\n");
    if (!runSummary.isEmpty()) {
      body.append("<details><summary>Run summary (<code>").append(Html.esc(summaryName))
          .append("</code>)</summary><table class=\"kv\">");
      runSummary.forEach((k, v) -> body.append("<tr><th>").append(Html.esc(k)).append("</th><td>").append(Html.esc(v))
          .append("</td></tr>"));
      body.append("</table></details>\n");
    }
    if (latencies.length > 0) {
      double[] v = latencies;
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

  /** Images by status, and the first {@code shown} failures. */
  void status(List<ReportQueries.StatusCount> counts, List<ReportQueries.Failure> failed, int shown) {
    section("status", "Images by status");
    List<Svg.Bar> bars = new ArrayList<>();
    for (ReportQueries.StatusCount c : counts) {
      bars.add(new Svg.Bar(c.status(), c.images(), "ok".equals(c.status()) ? "#3cb44b" : "#e6194b"));
    }
    body.append(Svg.horizontalBars("Images by status", bars, 640));
    if (failed.isEmpty()) {
      body.append("<p>Every image was segmented.</p>");
    } else {
      body.append("<h3>Failures</h3><table class=\"sortable\"><thead><tr><th>status</th><th>path</th><th>error</th></tr></thead><tbody>");
      for (int i = 0; i < Math.min(shown, failed.size()); i++) {
        ReportQueries.Failure f = failed.get(i);
        body.append("<tr><td>").append(Html.esc(f.status())).append("</td><td><code>").append(Html.esc(f.path()))
            .append("</code></td><td>").append(Html.esc(f.error())).append("</td></tr>");
      }
      body.append("</tbody></table>");
      if (failed.size() > shown) {
        body.append("<p>(first ").append(shown).append(" shown)</p>");
      }
    }
    body.append("</section>\n");
  }

  /** Classes and scores; {@code scoreCounts} are the 20 bins of the score histogram. */
  void classes(List<ReportQueries.ClassStats> rows, double[] scoreCounts, double minScore) {
    section("classes", "Classes and scores");
    if (rows.isEmpty()) {
      body.append("<p>No instances.</p></section>\n");
      return;
    }
    List<Svg.Bar> bars = new ArrayList<>();
    for (ReportQueries.ClassStats r : rows) {
      bars.add(new Svg.Bar(r.name(), r.instances(), Overlay.color(r.id())));
    }
    body.append("<div class=\"row\">").append(Svg.horizontalBars("Instances per class", bars, 520));
    double[] edges = new double[scoreCounts.length];
    for (int i = 0; i < edges.length; i++) {
      edges[i] = i / (double) edges.length;
    }
    body.append(Svg.histogram("Score histogram (all classes)", edges, scoreCounts, "score", "#f58231", 520)).append("</div>");
    body.append("<table class=\"sortable\"><thead><tr><th>class</th><th>id</th><th>instances</th><th>images</th>"
        + "<th>score ≥ ").append(fmt(minScore)).append("</th><th>mean score</th><th>median mask area</th></tr></thead><tbody>");
    for (ReportQueries.ClassStats r : rows) {
      body.append("<tr><td><span class=\"swatch\" style=\"background:").append(Overlay.color(r.id())).append("\"></span>")
          .append(Html.esc(r.name())).append("</td><td>").append(r.id()).append("</td><td>").append(r.instances())
          .append("</td><td>").append(r.images()).append("</td><td>").append(r.atMinScore()).append("</td><td>")
          .append(fmt(r.meanScore())).append("</td><td>").append(fmt(r.medianMaskArea())).append("</td></tr>");
    }
    body.append("</tbody></table></section>\n");
  }

  /** The sample grid; no samples: a line saying there is no instance with the minimum score. */
  void samples(List<Sample> samples, double minScore) {
    section("samples", "Sample images");
    if (samples.isEmpty()) {
      body.append("<p>No instances with score ≥ ").append(fmt(minScore)).append(".</p></section>\n");
      return;
    }
    body.append("<p>The best-scoring images of each class in turn; instances with score ≥ ").append(fmt(minScore))
        .append(". Click an image to enlarge it.</p><div class=\"grid\">");
    for (Sample s : samples) {
      body.append("<figure>");
      if (s.png() != null) {
        body.append("<img alt=\"image ").append(s.imageId()).append("\" src=\"data:image/png;base64,")
            .append(Base64.getEncoder().encodeToString(s.png())).append("\">");
      }
      if (s.problem() != null) {
        body.append("<div class=\"missing\">").append(Html.esc(s.problem())).append("</div>");
      }
      Map<String, Integer> perClass = new TreeMap<>();
      for (Overlay.Shape sh : s.shapes()) {
        perClass.merge(sh.label(), 1, Integer::sum);
      }
      String path = s.path();
      body.append("<figcaption><b>").append(s.imageId()).append("</b> ")
          .append(Html.esc(path == null ? "" : path.substring(path.lastIndexOf('/') + 1))).append("<br>");
      perClass.forEach((k, v) -> body.append(Html.esc(k)).append(" ×").append(v).append(" "));
      body.append("</figcaption></figure>");
    }
    body.append("</div></section>\n");
  }

  /** The evaluation section's heading, to follow with one of the evaluation methods. */
  void evaluationSection() {
    section("evaluation", "Evaluation");
  }

  void evaluationUnreadable(String evalOutput, String problem) {
    body.append("<p class=\"bad\">No evaluation tables under <code>").append(Html.esc(evalOutput)).append("</code>: ")
        .append(Html.esc(problem)).append("</p></section>\n");
  }

  void evaluation(String runId, List<ReportQueries.Stat> stats, List<ReportQueries.CategoryAp> perCategory,
      List<ReportQueries.PrPoint> curves, List<ReportQueries.AreaPrPoint> areaCurves) {
    if (stats.isEmpty()) {
      body.append("<p>Run ").append(Html.esc(runId)).append(" has no evaluation results.</p></section>\n");
      return;
    }
    Map<String, Map<String, Double>> byType = new TreeMap<>();
    Set<String> names = new LinkedHashSet<>();
    for (ReportQueries.Stat s : stats) {
      byType.computeIfAbsent(s.iouType(), k -> new LinkedHashMap<>()).put(s.name(), s.value());
      names.add(s.name());
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
        body.append("<td>").append(v == null ? "" : ap(v)).append("</td>");
      }
      body.append("</tr>");
    }
    body.append("</tbody></table>");
    Map<Integer, String> catNames = new TreeMap<>();
    body.append("<h3>Per category (area all)</h3><table class=\"sortable\"><thead><tr><th>iou type</th><th>class</th>"
        + "<th>AP</th><th>AP50</th><th>AP75</th><th>AR</th></tr></thead><tbody>");
    for (ReportQueries.CategoryAp c : perCategory) {
      String name = c.name() == null ? String.valueOf(c.categoryId()) : c.name();
      catNames.put(c.categoryId(), name);
      body.append("<tr><td>").append(Html.esc(c.iouType())).append("</td><td>").append(Html.esc(name)).append("</td>");
      for (double v : new double[] {c.ap(), c.ap50(), c.ap75(), c.ar()}) {
        body.append("<td>").append(ap(v)).append("</td>");
      }
      body.append("</tr>");
    }
    body.append("</tbody></table><h3>Precision–recall curves (area all)</h3><div class=\"row\">");
    Map<String, Map<Integer, List<double[]>>> series = new TreeMap<>();
    for (ReportQueries.PrPoint p : curves) {
      String key = p.iouType() + ", IoU " + String.format(Locale.ROOT, "%.2f", p.iouThreshold());
      series.computeIfAbsent(key, k -> new TreeMap<>()).computeIfAbsent(p.categoryId(), k -> new ArrayList<>())
          .add(new double[] {p.recall(), p.precision()});
    }
    series.forEach((key, cats) -> {
      List<Svg.Series> lines = new ArrayList<>();
      cats.forEach((cat, pts) ->
          lines.add(Svg.Series.of(catNames.getOrDefault(cat, String.valueOf(cat)), pts, Overlay.color(cat))));
      body.append(Svg.unitLines(key, lines, "recall", "precision", 520));
    });
    body.append("</div>").append(PrCurvePicker.html("pr-by-category", areaCurves, catNames)).append("</section>\n");
  }

  /** The error analysis section (eval_errors and eval_confusion). */
  void errors(List<ReportQueries.ErrorRow> rows, List<ReportQueries.ConfusionRow> cells) {
    section("errors", "Errors");
    body.append(rows.isEmpty() ? "<p>No error analysis for this run.</p>" : ErrorsSection.html(rows, cells))
        .append("</section>\n");
  }

  /** The whole document, style and scripts inlined. */
  String finish() {
    StringBuilder h = new StringBuilder(body.length() + 4096);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>").append(Html.esc(title)).append("</title><script>").append(ERROR_TRAP).append("</script><style>")
        .append(CSS).append("</style></head>\n<body>")
        .append("<nav>").append(String.join(" ", nav)).append("</nav><main>").append(body)
        .append("</main><script>").append(JS).append("</script></body></html>\n");
    return h.toString();
  }
}
