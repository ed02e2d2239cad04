package io.sparkseg.job.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Precision–recall curves at IoU 0.5 of one category at a time, one line per area range, with a
 * list to choose the iouType and category (the page's script shows the chosen chart; every chart
 * is in the page, so it works offline).
 */
final class PrCurvePicker {
  private static final Map<String, String> AREA_COLORS =
      Map.of("all", "#1d2230", "small", "#3cb44b", "medium", "#f58231", "large", "#e6194b");

  private PrCurvePicker() {}

  static String html(String id, List<ReportQueries.AreaPrPoint> points, Map<Integer, String> catNames) {
    // iouType -> category -> area -> (recall, precision)
    Map<String, Map<Integer, Map<String, List<double[]>>>> curves = new TreeMap<>();
    for (ReportQueries.AreaPrPoint p : points) {
      curves.computeIfAbsent(p.iouType(), k -> new TreeMap<>()).computeIfAbsent(p.categoryId(), k -> new TreeMap<>())
          .computeIfAbsent(p.area(), k -> new ArrayList<>()).add(new double[] {p.recall(), p.precision()});
    }
    if (curves.isEmpty()) {
      return "";
    }
    StringBuilder select = new StringBuilder("<h3>Precision–recall per category and area range (IoU 0.50)</h3>"
        + "<p><label>Category <select data-pick=\"").append(id).append("\">");
    StringBuilder charts = new StringBuilder("<div id=\"").append(id).append("\">");
    boolean[] first = {true};
    curves.forEach((type, cats) -> cats.forEach((cat, areas) -> {
      String key = type + "/" + cat;
      String name = catNames.getOrDefault(cat, String.valueOf(cat));
      select.append("<option value=\"").append(Html.esc(key)).append("\">").append(Html.esc(type + ": " + name))
          .append("</option>");
      List<Svg.Series> lines = new ArrayList<>();
      areas.forEach((area, pts) -> lines.add(Svg.Series.of(area, pts, AREA_COLORS.getOrDefault(area, "#808080"))));
      charts.append("<div data-key=\"").append(Html.esc(key)).append("\"").append(first[0] ? "" : " hidden").append(">")
          .append(Svg.unitLines(type + ", " + name + ", IoU 0.50, by area", lines, "recall", "precision", 520))
          .append("</div>");
      first[0] = false;
    }));
    return select.append("</select></label></p>").append(charts).append("</div>").toString();
  }
}
