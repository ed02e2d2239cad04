package io.sparkseg.core.coco.errors;

import io.sparkseg.core.coco.eval.Accumulation;
import io.sparkseg.core.coco.eval.ImageEval;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Folds per-image analyses (e.g. one Spark partition's) into one {@link Accumulation} per
 * (scenario, category), keyed by {@link Tally#key}; those merge with {@link Accumulation#merge}
 * in any grouping, as the evaluation's own do.
 */
public final class ErrorFold {
  private ErrorFold() {}

  public static Map<Long, Accumulation> accumulations(Iterator<ImageErrors> it) {
    Map<Long, List<ImageEval>> byKey = new HashMap<>();
    while (it.hasNext()) {
      List<List<ImageEval>> scenarios = it.next().scenarios();
      for (int s = 0; s < scenarios.size(); s++) {
        for (ImageEval e : scenarios.get(s)) {
          byKey.computeIfAbsent(Tally.key(s, e.categoryId()), k -> new ArrayList<>()).add(e);
        }
      }
    }
    Map<Long, Accumulation> out = new HashMap<>();
    byKey.forEach((k, evals) -> out.put(k, Accumulation.ofAllAreas(evals, 1, 1)[0]));
    return out;
  }
}
