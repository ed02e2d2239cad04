package io.sparkseg.core.coco.errors;

import io.sparkseg.core.coco.eval.Accumulation;
import io.sparkseg.core.coco.eval.EvalAccumulator;
import io.sparkseg.core.coco.eval.EvalParams;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.IouType;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The error analysis of one iouType: the original AP50 (pycocotools' stats[1]), per {@link
 * ErrorType} the AP50 an oracle fixing only that type gains (dAP, never negative, as in TIDE) and
 * the number of such errors, the same per category, and the confusion matrix at IoU t_f. AP values
 * are fractions like COCO's stats (TIDE prints them times 100).
 *
 * @param perCategory the categories with ground truth or errors, by id; {@code ap50} -1 without ground truth
 * @param confusion non-zero cells; {@link #BACKGROUND} is the background row/column
 */
public record ErrorSummary(IouType iouType, double ap50, Map<ErrorType, Double> dAp, Map<ErrorType, Long> counts,
    List<CategoryErrors> perCategory, List<ConfusionCell> confusion) implements Serializable {

  /** The category id of the confusion matrix's background row (missed) and column (no ground truth). */
  public static final int BACKGROUND = ImageConfusion.BACKGROUND;

  /** One category's AP50, the dAP of each fix and its error counts. */
  public record CategoryErrors(int categoryId, double ap50, Map<ErrorType, Double> dAp, Map<ErrorType, Long> counts)
      implements Serializable {}

  /** A cell of the confusion matrix. */
  public record ConfusionCell(int gtCategory, int predictedCategory, long count) implements Serializable {}

  /**
   * Summarises merged results.
   *
   * @param p the evaluation's parameters
   * @param accumulations the merged {@link ErrorFold} accumulations by (scenario, category) key
   */
  public static ErrorSummary of(EvalParams p, Map<Long, Accumulation> accumulations, Tally errors, Tally confusion) {
    EvalParams p1 = p.withIouThresholds(ErrorThresholds.FOREGROUND);
    List<List<Accumulation>> byScenario = new ArrayList<>();
    for (int s = 0; s < OracleFixes.SCENARIOS; s++) {
      byScenario.add(new ArrayList<>());
    }
    accumulations.forEach((k, a) -> byScenario.get(Tally.first(k)).add(a));
    double[][] catAp = new double[OracleFixes.SCENARIOS][p.catCount()];
    double original = -1;
    for (int s = 0; s < OracleFixes.SCENARIOS; s++) {
      EvalSummary sum = EvalSummary.of(EvalAccumulator.accumulate(p1, byScenario.get(s)));
      if (s == OracleFixes.ORIGINAL) {
        original = sum.stats()[1];
      }
      Map<Integer, EvalSummary.CategoryStats> cats = sum.perCategory();
      for (int k = 0; k < p.catCount(); k++) {
        double v = cats.get(p.catId(k)).ap50();
        // a category the Miss fix leaves without ground truth: AP 0, so every mean has the same categories
        catAp[s][k] = v < 0 && s != OracleFixes.ORIGINAL && catAp[OracleFixes.ORIGINAL][k] >= 0 ? 0 : v;
      }
    }
    double originalMean = mean(catAp[OracleFixes.ORIGINAL], catAp[OracleFixes.ORIGINAL]);
    Map<ErrorType, Double> dAp = new EnumMap<>(ErrorType.class);
    Map<ErrorType, Long> counts = new EnumMap<>(ErrorType.class);
    Map<Integer, Map<ErrorType, Long>> catCounts = new TreeMap<>();
    errors.counts().forEach((k, v) -> {
      ErrorType t = ErrorType.values()[Tally.first(k)];
      counts.merge(t, v, Long::sum);
      catCounts.computeIfAbsent(Tally.second(k), x -> new EnumMap<>(ErrorType.class)).merge(t, v, Long::sum);
    });
    for (ErrorType t : ErrorType.values()) {
      double fixed = mean(catAp[OracleFixes.scenario(t)], catAp[OracleFixes.ORIGINAL]);
      dAp.put(t, originalMean < 0 ? 0 : Math.max(0, fixed - originalMean));
      counts.putIfAbsent(t, 0L);
    }
    List<CategoryErrors> perCat = new ArrayList<>();
    for (int k = 0; k < p.catCount(); k++) {
      int cat = p.catId(k);
      double orig = catAp[OracleFixes.ORIGINAL][k];
      if (orig < 0 && !catCounts.containsKey(cat)) {
        continue;
      }
      Map<ErrorType, Double> d = new EnumMap<>(ErrorType.class);
      Map<ErrorType, Long> c = new EnumMap<>(ErrorType.class);
      for (ErrorType t : ErrorType.values()) {
        d.put(t, orig < 0 ? 0 : Math.max(0, catAp[OracleFixes.scenario(t)][k] - orig));
        c.put(t, catCounts.getOrDefault(cat, Map.of()).getOrDefault(t, 0L));
      }
      perCat.add(new CategoryErrors(cat, orig, d, c));
    }
    List<ConfusionCell> cells = new ArrayList<>();
    new TreeMap<>(confusion.counts()).forEach((k, v) -> cells.add(new ConfusionCell(Tally.first(k), Tally.second(k), v)));
    return new ErrorSummary(p.iouType(), original, dAp, counts, perCat, cells);
  }

  /** The mean of {@code ap} over the categories with an original AP, or -1. */
  private static double mean(double[] ap, double[] original) {
    double sum = 0;
    int n = 0;
    for (int k = 0; k < ap.length; k++) {
      if (original[k] >= 0) {
        sum += ap[k];
        n++;
      }
    }
    return n == 0 ? -1 : sum / n;
  }
}
