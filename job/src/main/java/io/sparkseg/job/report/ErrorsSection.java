package io.sparkseg.job.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The report's "Errors" section from the eval_errors and eval_confusion tables: per iouType the
 * AP50 an oracle gains by fixing each TIDE error type (bars, in AP points as TIDE shows them), the
 * same per category with the error counts (a sortable table), and the confusion matrix at IoU 0.5
 * as a heat-map table (shade: the share of the ground-truth row).
 */
final class ErrorsSection {
  /** TIDE's order. */
  static final List<String> TYPES = List.of("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss");
  private static final Map<String, String> COLORS = Map.of("Cls", "#e6194b", "Loc", "#f58231", "Both", "#911eb4",
      "Dupe", "#4363d8", "Bkg", "#3cb44b", "Miss", "#808000");

  private ErrorsSection() {}

  static String html(List<ReportQueries.ErrorRow> rows, List<ReportQueries.ConfusionRow> cells) {
    StringBuilder b = new StringBuilder();
    b.append("<p>After TIDE (Bolya et al., ECCV 2020): each false positive and missed ground truth at IoU 0.5 gets "
        + "one error type; dAP is the AP50 gained when an oracle fixes every error of that type alone (Cls: the right "
        + "class; Loc: the right box or mask; Both, Dupe, Bkg: the detection removed; Miss: the ground truth "
        + "removed), in AP points (×100).</p>");
    Map<String, Map<String, ReportQueries.ErrorRow>> overall = new TreeMap<>();
    Map<String, Map<Integer, Map<String, ReportQueries.ErrorRow>>> perCat = new TreeMap<>();
    for (ReportQueries.ErrorRow r : rows) {
      if (r.categoryId() == null) {
        overall.computeIfAbsent(r.iouType(), k -> new LinkedHashMap<>()).put(r.errorType(), r);
      } else {
        perCat.computeIfAbsent(r.iouType(), k -> new TreeMap<>()).computeIfAbsent(r.categoryId(), k -> new LinkedHashMap<>())
            .put(r.errorType(), r);
      }
    }
    b.append("<div class=\"row\">");
    overall.forEach((type, byType) -> {
      List<Svg.Bar> bars = new ArrayList<>();
      for (String t : TYPES) {
        ReportQueries.ErrorRow r = byType.get(t);
        bars.add(new Svg.Bar(t + " (" + (r == null ? 0 : r.count()) + ")", r == null ? 0 : 100 * r.dAp(), COLORS.get(t)));
      }
      double ap50 = byType.values().stream().findFirst().map(ReportQueries.ErrorRow::ap50).orElse(-1.0);
      b.append(Svg.horizontalBars(type + ": dAP50 by error type (count); AP50 " + points(ap50), bars, 520));
    });
    b.append("</div><h3>Per category</h3><table class=\"sortable\"><thead><tr><th>iou type</th><th>class</th>"
        + "<th>AP50</th>");
    for (String t : TYPES) {
      b.append("<th>dAP ").append(t).append(" (n)</th>");
    }
    b.append("</tr></thead><tbody>");
    perCat.forEach((type, cats) -> cats.forEach((id, byType) -> {
      ReportQueries.ErrorRow any = byType.values().iterator().next();
      b.append("<tr><td>").append(Html.esc(type)).append("</td><td>")
          .append(Html.esc(any.name() == null ? String.valueOf(id) : any.name())).append("</td><td>")
          .append(points(any.ap50())).append("</td>");
      for (String t : TYPES) {
        ReportQueries.ErrorRow r = byType.get(t);
        b.append("<td>").append(r == null ? "" : points(r.dAp()) + " (" + r.count() + ")").append("</td>");
      }
      b.append("</tr>");
    }));
    b.append("</tbody></table>");
    Map<String, List<ReportQueries.ConfusionRow>> byType = new TreeMap<>();
    cells.forEach(c -> byType.computeIfAbsent(c.iouType(), k -> new ArrayList<>()).add(c));
    if (!byType.isEmpty()) {
      b.append("<p>Confusion at IoU 0.5: each ground truth counts once, with its true positive, else with the "
          + "detection of another class that overlaps it most; every other detection (duplicates too) is background, "
          + "and a ground truth nothing took is missed (background column). Detections on crowd regions do not "
          + "count.</p>");
    }
    byType.forEach((type, list) -> b.append(confusion(type, list)));
    return b.toString();
  }

  private static String points(double ap) {
    return ap < 0 ? "–" : String.format(Locale.ROOT, "%.1f", 100 * ap);
  }

  /** The matrix of one iouType: ground truth down, predictions across, background last in both. */
  private static String confusion(String type, List<ReportQueries.ConfusionRow> cells) {
    Map<Integer, String> names = new TreeMap<>();
    Map<Integer, Map<Integer, Long>> m = new LinkedHashMap<>();
    Map<Integer, Long> rowSum = new TreeMap<>();
    int bg = Integer.MIN_VALUE; // background sorts apart from every category id
    for (ReportQueries.ConfusionRow c : cells) {
      int g = c.gtId() == null ? bg : c.gtId();
      int p = c.predictedId() == null ? bg : c.predictedId();
      if (c.gtId() != null) {
        names.put(g, c.gtName() == null ? String.valueOf(g) : c.gtName());
      }
      if (c.predictedId() != null) {
        names.put(p, c.predictedName() == null ? String.valueOf(p) : c.predictedName());
      }
      m.computeIfAbsent(g, k -> new TreeMap<>()).merge(p, c.count(), Long::sum);
      rowSum.merge(g, c.count(), Long::sum);
    }
    Set<Integer> axis = new LinkedHashSet<>(names.keySet());
    axis.add(bg);
    StringBuilder b = new StringBuilder("<h3>Confusion matrix, ").append(Html.esc(type))
        .append(" (IoU 0.5; rows: ground truth, columns: predicted)</h3><div class=\"scroll\"><table class=\"confusion\">"
            + "<thead><tr><th></th>");
    for (int p : axis) {
      b.append("<th>").append(Html.esc(p == bg ? "background" : names.get(p))).append("</th>");
    }
    b.append("</tr></thead><tbody>");
    for (int g : axis) {
      b.append("<tr><th>").append(Html.esc(g == bg ? "background" : names.get(g))).append("</th>");
      for (int p : axis) {
        long n = m.getOrDefault(g, Map.of()).getOrDefault(p, 0L);
        double share = n == 0 ? 0 : n / (double) rowSum.get(g);
        b.append("<td");
        if (n > 0) {
          b.append(" style=\"background:rgba(67,99,216,").append(String.format(Locale.ROOT, "%.2f", 0.1 + 0.8 * share))
              .append(share > 0.5 ? ");color:#fff" : ")").append("\"");
        }
        b.append(">").append(n == 0 ? "" : String.valueOf(n)).append("</td>");
      }
      b.append("</tr>");
    }
    return b.append("</tbody></table></div>").toString();
  }
}
