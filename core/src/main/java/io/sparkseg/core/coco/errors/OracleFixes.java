package io.sparkseg.core.coco.errors;

import io.sparkseg.core.coco.eval.ImageEval;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One image as the AP computation sees it in each scenario: {@link #ORIGINAL}, and the oracle fix
 * of each {@link ErrorType} on its own (scenario {@code 1 + ordinal}): per category, an {@link
 * ImageEval} at one threshold and area range with the detections left, in COCO's order, and the
 * ground truths counted. Detections a fix removes are left out, as in TIDE.
 */
final class OracleFixes {
  /** The scenario of the unfixed data. */
  static final int ORIGINAL = 0;
  /** The number of scenarios: the original and one per error type. */
  static final int SCENARIOS = 1 + ErrorType.values().length;

  private record Entry(double score, long id, byte state) {}

  private OracleFixes() {}

  /** The scenario of fixing {@code t}. */
  static int scenario(ErrorType t) {
    return 1 + t.ordinal();
  }

  /**
   * Per scenario, the per-category evaluations of one image; a category a fix leaves as it was
   * shares the original's evaluation (one object, serialised once).
   */
  static List<List<ImageEval>> of(long imageId, ImageMatch m, ErrorClassifier c) {
    Map<Integer, ImageEval> original = scenario(imageId, m, c, null, null);
    List<List<ImageEval>> out = new ArrayList<>();
    out.add(new ArrayList<>(original.values()));
    for (ErrorType fix : ErrorType.values()) {
      Set<Integer> touched = new HashSet<>();
      for (int d = 0; d < m.det.length; d++) {
        if (c.type[d] == fix) {
          touched.add(m.detCat[d]);
          if (fix == ErrorType.CLS && c.fixed[d]) {
            touched.add(m.gtCat[c.target[d]]);
          }
        }
      }
      for (int g = 0; g < m.gt.length; g++) {
        if (fix == ErrorType.MISS && c.missed[g]) {
          touched.add(m.gtCat[g]);
        }
      }
      Map<Integer, ImageEval> fixed = new TreeMap<>(original);
      fixed.putAll(scenario(imageId, m, c, fix, touched));
      out.add(new ArrayList<>(fixed.values()));
    }
    return out;
  }

  /** The evaluations of the categories in {@code only} (null: all) with {@code fix} applied (null: none). */
  private static Map<Integer, ImageEval> scenario(long imageId, ImageMatch m, ErrorClassifier c, ErrorType fix,
      Set<Integer> only) {
    Map<Integer, List<Entry>> entries = new TreeMap<>();
    Map<Integer, Integer> numGt = new TreeMap<>();
    for (int g = 0; g < m.gt.length; g++) {
      int n = !m.gtIgnored[g] && !(fix == ErrorType.MISS && c.missed[g]) ? 1 : 0;
      numGt.merge(m.gtCat[g], n, Integer::sum);
      entries.computeIfAbsent(m.gtCat[g], k -> new ArrayList<>());
    }
    for (int d = 0; d < m.det.length; d++) {
      int cat = m.detCat[d];
      entries.computeIfAbsent(cat, k -> new ArrayList<>());
      byte state = m.state[d];
      if (fix != null && c.type[d] == fix) {
        if (!c.fixed[d]) {
          continue; // removed (Dupe, Bkg, Both; Cls/Loc errors not fixed)
        }
        state = ImageEval.TP;
        if (fix == ErrorType.CLS) {
          cat = m.gtCat[c.target[d]];
        }
      }
      entries.computeIfAbsent(cat, k -> new ArrayList<>()).add(new Entry(m.det[d].score(), m.det[d].id(), state));
    }
    Map<Integer, ImageEval> out = new TreeMap<>();
    entries.forEach((cat, list) -> {
      if (only != null && !only.contains(cat)) {
        return;
      }
      // COCO's order in an (image, category): descending score, ties by id
      list.sort((a, b) -> a.score() > b.score() ? -1 : a.score() < b.score() ? 1 : Long.compare(a.id(), b.id()));
      double[] scores = new double[list.size()];
      byte[] states = new byte[list.size()];
      for (int i = 0; i < scores.length; i++) {
        scores[i] = list.get(i).score();
        states[i] = list.get(i).state();
      }
      out.put(cat, new ImageEval(imageId, cat, scores, new int[] {numGt.getOrDefault(cat, 0)}, new byte[][] {states}));
    });
    return out;
  }
}
