package io.sparkseg.core.coco.eval;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * pycocotools' {@code summarize}: the 12 (bbox/segm) or 10 (keypoints) summary statistics, the
 * text lines it prints, and per-category AP/AR at area "all" and the last maxDet. Means are over
 * entries &gt; -1 (numpy's summation order); -1 when there is none.
 */
public final class EvalSummary {
  private final EvalResult result;
  private final double[] stats;
  private final List<String> lines;

  /** Per-category values: AP, AP50, AP75 and AR (area all, last maxDet). */
  public record CategoryStats(int categoryId, double ap, double ap50, double ap75, double ar) {}

  private EvalSummary(EvalResult result) {
    this.result = result;
    this.lines = new ArrayList<>();
    EvalParams p = result.params();
    if (p.iouType() == IouType.KEYPOINTS) {
      stats = new double[] {
        summarize(true, null, "all", 20),
        summarize(true, .5, "all", 20),
        summarize(true, .75, "all", 20),
        summarize(true, null, "medium", 20),
        summarize(true, null, "large", 20),
        summarize(false, null, "all", 20),
        summarize(false, .5, "all", 20),
        summarize(false, .75, "all", 20),
        summarize(false, null, "medium", 20),
        summarize(false, null, "large", 20),
      };
    } else {
      int[] md = p.maxDets();
      int m2 = md.length > 2 ? md[2] : -1;
      stats = new double[] {
        summarize(true, null, "all", 100),
        summarize(true, .5, "all", m2),
        summarize(true, .75, "all", m2),
        summarize(true, null, "small", m2),
        summarize(true, null, "medium", m2),
        summarize(true, null, "large", m2),
        summarize(false, null, "all", md[0]),
        summarize(false, null, "all", md.length > 1 ? md[1] : -1),
        summarize(false, null, "all", m2),
        summarize(false, null, "small", m2),
        summarize(false, null, "medium", m2),
        summarize(false, null, "large", m2),
      };
    }
  }

  /** Summarises an accumulated evaluation. */
  public static EvalSummary of(EvalResult result) {
    return new EvalSummary(result);
  }

  /** {@code COCOeval.stats}: 12 values for bbox/segm, 10 for keypoints. */
  public double[] stats() {
    return stats.clone();
  }

  /** The lines {@code summarize()} prints, exactly. */
  public List<String> lines() {
    return List.copyOf(lines);
  }

  /** The printed summary, one line each, ending with a newline. */
  public String text() {
    StringBuilder sb = new StringBuilder();
    for (String l : lines) {
      sb.append(l).append('\n');
    }
    return sb.toString();
  }

  public EvalResult result() {
    return result;
  }

  private double summarize(boolean ap, Double iouThr, String areaRng, int maxDets) {
    EvalParams p = result.params();
    String title = ap ? "Average Precision" : "Average Recall";
    String type = ap ? "(AP)" : "(AR)";
    String iouStr = iouThr == null
        ? fmt(p.iouThr(0), 2) + ":" + fmt(p.iouThr(p.iouThrCount() - 1), 2)
        : fmt(iouThr, 2);
    int a = p.areaIndex(areaRng);
    int m = -1;
    int[] md = p.maxDets();
    for (int i = 0; i < md.length; i++) {
      if (md[i] == maxDets) {
        m = i;
      }
    }
    List<Integer> ts = new ArrayList<>();
    for (int t = 0; t < p.iouThrCount(); t++) {
      if (iouThr == null || p.iouThr(t) == iouThr) {
        ts.add(t);
      }
    }
    double[] vals = new double[Math.max(1, ts.size() * p.recThrCount() * p.catCount())];
    int n = 0;
    if (a >= 0 && m >= 0) {
      for (int t : ts) {
        if (ap) {
          for (int r = 0; r < p.recThrCount(); r++) {
            for (int k = 0; k < p.catCount(); k++) {
              double v = result.precision(t, r, k, a, m);
              if (v > -1) {
                vals[n++] = v;
              }
            }
          }
        } else {
          for (int k = 0; k < p.catCount(); k++) {
            double v = result.recall(t, k, a, m);
            if (v > -1) {
              vals[n++] = v;
            }
          }
        }
      }
    }
    double mean = NumpyMath.meanOrMinusOne(vals, n);
    lines.add(String.format(java.util.Locale.ROOT, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %s",
        title, type, iouStr, areaRng, maxDets, fmt(mean, 3)));
    return mean;
  }

  /** Python's {@code '{:0.Nf}'.format(v)}: correctly rounded, ties to even. */
  static String fmt(double v, int digits) {
    return new BigDecimal(v).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
  }

  /** Per-category AP/AR at area "all" and the last maxDet, by category id in ascending order. */
  public Map<Integer, CategoryStats> perCategory() {
    EvalParams p = result.params();
    int a = p.areaIndex("all");
    int m = p.maxDetCount() - 1;
    int t50 = -1;
    int t75 = -1;
    for (int t = 0; t < p.iouThrCount(); t++) {
      if (p.iouThr(t) == .5) {
        t50 = t;
      }
      if (p.iouThr(t) == .75) {
        t75 = t;
      }
    }
    Map<Integer, CategoryStats> out = new LinkedHashMap<>();
    int T = p.iouThrCount();
    int R = p.recThrCount();
    double[] buf = new double[T * R];
    for (int k = 0; k < p.catCount(); k++) {
      int n = 0;
      for (int t = 0; t < T; t++) {
        for (int r = 0; r < R; r++) {
          double v = result.precision(t, r, k, a, m);
          if (v > -1) {
            buf[n++] = v;
          }
        }
      }
      double apv = NumpyMath.meanOrMinusOne(buf, n);
      double ap50 = precisionMean(k, a, m, t50, buf);
      double ap75 = precisionMean(k, a, m, t75, buf);
      n = 0;
      for (int t = 0; t < T; t++) {
        double v = result.recall(t, k, a, m);
        if (v > -1) {
          buf[n++] = v;
        }
      }
      out.put(p.catId(k), new CategoryStats(p.catId(k), apv, ap50, ap75, NumpyMath.meanOrMinusOne(buf, n)));
    }
    return out;
  }

  private double precisionMean(int k, int a, int m, int t, double[] buf) {
    if (t < 0) {
      return -1;
    }
    int n = 0;
    for (int r = 0; r < result.params().recThrCount(); r++) {
      double v = result.precision(t, r, k, a, m);
      if (v > -1) {
        buf[n++] = v;
      }
    }
    return NumpyMath.meanOrMinusOne(buf, n);
  }
}
