package io.sparkseg.job.report;

import java.util.List;
import java.util.Locale;

/** Small inline SVG charts (no scripts, no external resources). */
final class Svg {
  private Svg() {}

  /** A labelled value for bar charts. */
  record Bar(String label, double value, String color) {}

  /** A named polyline for line charts. */
  record Series(String name, double[] x, double[] y, String color) {
    /** The series of {@code (x, y)} points. */
    static Series of(String name, List<double[]> points, String color) {
      double[] x = new double[points.size()];
      double[] y = new double[points.size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = points.get(i)[0];
        y[i] = points.get(i)[1];
      }
      return new Series(name, x, y, color);
    }
  }

  static String fmt(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return String.format(Locale.ROOT, "%d", (long) v);
    }
    String t = String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : Math.abs(v) >= 1 ? "%.2f" : "%.3f", v);
    return t.contains(".") ? t.replaceAll("0+$", "").replaceAll("\\.$", "") : t;
  }

  private static String n(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  /** Horizontal bars, one per label, with the value at the end of each bar. */
  static String horizontalBars(String title, List<Bar> bars, int width) {
    int rowH = 22;
    int labelW = 150;
    int h = 30 + rowH * Math.max(1, bars.size());
    double max = bars.stream().mapToDouble(Bar::value).max().orElse(1);
    if (max <= 0) {
      max = 1;
    }
    StringBuilder s = open(width, h, title);
    s.append(text(8, 18, title, "title"));
    int y = 30;
    for (Bar b : bars) {
      double w = (width - labelW - 70) * b.value() / max;
      s.append(text(labelW - 6, y + 15, b.label(), "label end"));
      s.append("<rect x=\"").append(labelW).append("\" y=\"").append(y + 3).append("\" width=\"").append(n(Math.max(w, 1)))
          .append("\" height=\"").append(rowH - 6).append("\" fill=\"").append(b.color()).append("\"><title>")
          .append(Html.esc(b.label() + ": " + fmt(b.value()))).append("</title></rect>");
      s.append(text(labelW + w + 5, y + 15, fmt(b.value()), "value"));
      y += rowH;
    }
    return s.append("</svg>").toString();
  }

  /** A histogram of counts over consecutive bins labelled by their lower edges. */
  static String histogram(String title, double[] lowerEdges, double[] counts, String xLabel, String color, int width) {
    int h = 220;
    int left = 50;
    int bottom = 40;
    int top = 28;
    double max = 1;
    for (double c : counts) {
      max = Math.max(max, c);
    }
    StringBuilder s = open(width, h, title);
    s.append(text(8, 18, title, "title"));
    double plotW = width - left - 10;
    double plotH = h - top - bottom;
    double bw = plotW / Math.max(1, counts.length);
    axes(s, left, top, plotW, plotH);
    for (int i = 0; i <= 4; i++) {
      double v = max * i / 4;
      double y = top + plotH - plotH * i / 4;
      s.append(text(left - 4, y + 4, fmt(Math.round(v)), "tick end"));
    }
    for (int i = 0; i < counts.length; i++) {
      double bh = plotH * counts[i] / max;
      s.append("<rect x=\"").append(n(left + i * bw + 1)).append("\" y=\"").append(n(top + plotH - bh))
          .append("\" width=\"").append(n(Math.max(bw - 2, 1))).append("\" height=\"").append(n(bh))
          .append("\" fill=\"").append(color).append("\"><title>").append(fmt(lowerEdges[i])).append(": ")
          .append(fmt(counts[i])).append("</title></rect>");
      int every = Math.max(1, counts.length / 10);
      if (i % every == 0) {
        s.append(text(left + i * bw + bw / 2, top + plotH + 14, fmt(lowerEdges[i]), "tick middle"));
      }
    }
    s.append(text(left + plotW / 2, h - 6, xLabel, "axis middle"));
    return s.append("</svg>").toString();
  }

  /** Lines in the unit square (x and y from 0 to 1), e.g. precision-recall curves. */
  static String unitLines(String title, List<Series> series, String xLabel, String yLabel, int width) {
    int h = 300;
    int left = 46;
    int bottom = 40;
    int top = 28;
    int legendW = 130;
    double plotW = width - left - legendW - 10;
    double plotH = h - top - bottom;
    StringBuilder s = open(width, h, title);
    s.append(text(8, 18, title, "title"));
    axes(s, left, top, plotW, plotH);
    for (int i = 0; i <= 5; i++) {
      double f = i / 5.0;
      s.append("<line class=\"grid\" x1=\"").append(n(left)).append("\" x2=\"").append(n(left + plotW)).append("\" y1=\"")
          .append(n(top + plotH - plotH * f)).append("\" y2=\"").append(n(top + plotH - plotH * f)).append("\"/>");
      s.append(text(left - 4, top + plotH - plotH * f + 4, fmt(f), "tick end"));
      s.append(text(left + plotW * f, top + plotH + 14, fmt(f), "tick middle"));
    }
    int ly = top + 4;
    for (Series se : series) {
      StringBuilder pts = new StringBuilder();
      for (int i = 0; i < se.x().length; i++) {
        pts.append(n(left + plotW * se.x()[i])).append(',').append(n(top + plotH - plotH * se.y()[i])).append(' ');
      }
      s.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(se.color()).append("\" points=\"")
          .append(pts.toString().trim()).append("\"><title>").append(Html.esc(se.name())).append("</title></polyline>");
      s.append("<rect x=\"").append(n(left + plotW + 12)).append("\" y=\"").append(ly).append("\" width=\"12\" height=\"4\" fill=\"")
          .append(se.color()).append("\"/>");
      s.append(text(left + plotW + 28, ly + 6, se.name(), "legend"));
      ly += 16;
    }
    s.append(text(left + plotW / 2, h - 6, xLabel, "axis middle"));
    s.append("<text class=\"axis\" transform=\"translate(12,").append(n(top + plotH / 2)).append(") rotate(-90)\" text-anchor=\"middle\">")
        .append(Html.esc(yLabel)).append("</text>");
    return s.append("</svg>").toString();
  }

  private static StringBuilder open(int w, int h, String title) {
    return new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"").append(w)
        .append("\" height=\"").append(h).append("\" viewBox=\"0 0 ").append(w).append(' ').append(h)
        .append("\" role=\"img\" aria-label=\"").append(Html.esc(title)).append("\">");
  }

  private static void axes(StringBuilder s, double left, double top, double w, double h) {
    s.append("<line class=\"axisline\" x1=\"").append(n(left)).append("\" y1=\"").append(n(top + h)).append("\" x2=\"")
        .append(n(left + w)).append("\" y2=\"").append(n(top + h)).append("\"/>");
    s.append("<line class=\"axisline\" x1=\"").append(n(left)).append("\" y1=\"").append(n(top)).append("\" x2=\"")
        .append(n(left)).append("\" y2=\"").append(n(top + h)).append("\"/>");
  }

  private static String text(double x, double y, String t, String cls) {
    String anchor = cls.endsWith(" end") ? "end" : cls.endsWith(" middle") ? "middle" : "start";
    String c = cls.replace(" end", "").replace(" middle", "");
    return "<text class=\"" + c + "\" x=\"" + n(x) + "\" y=\"" + n(y) + "\" text-anchor=\"" + anchor + "\">" + Html.esc(t)
        + "</text>";
  }
}
