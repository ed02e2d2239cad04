package io.sparkseg.core.coco.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoJsonReader;
import io.sparkseg.core.testing.CocoVectors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every coco-vectors case and evaluation variant against pycocotools' expected.json. */
class CocoEvaluatorVectorsTest {
  static final double TOL = 1e-9;
  /** The cases this test must at least see; any other case folder with an expected.json runs too. */
  static final List<String> KNOWN_CASES = List.of(
      "c01_tiny", "c02_small_mixed", "c03_three_cats_kp", "c04_crowd_ties",
      "c05_maxdets", "c06_area_edges", "c07_person_only", "c08_moderate");
  static final String[] VARIANTS = {"bbox", "segm", "keypoints", "segm_dt_area_from_mask", "keypoints_dt_area_from_kpts"};

  /** Every case folder (gt.json + dt.json + expected.json) and every variant its expected.json holds. */
  static Stream<Arguments> cases() throws IOException {
    List<String> found;
    try (Stream<Path> dirs = Files.list(CocoVectors.dir())) {
      found = dirs.filter(d -> Files.isRegularFile(d.resolve("expected.json")))
          .map(d -> d.getFileName().toString()).sorted().toList();
    }
    assertTrue(found.containsAll(KNOWN_CASES), "coco-vectors cases missing: " + found);
    List<Arguments> out = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String c : found) {
      JsonNode expected = json.readTree(CocoVectors.file(c).resolve("expected.json").toFile());
      for (String v : VARIANTS) {
        if (expected.has(v)) {
          out.add(Arguments.of(c, v));
        }
      }
    }
    return out.stream();
  }

  static CocoDataset gt(String c) throws IOException {
    try (InputStream in = Files.newInputStream(CocoVectors.file(c).resolve("gt.json"))) {
      return CocoJsonReader.readDataset(in);
    }
  }

  static List<CocoDetection> dts(String c) throws IOException {
    try (InputStream in = Files.newInputStream(CocoVectors.file(c).resolve("dt.json"))) {
      return CocoJsonReader.readResults(in);
    }
  }

  /** {@code d} as if the results file had no {@code bbox}. */
  private static CocoDetection withoutBbox(CocoDetection d) {
    return new CocoDetection(d.imageId(), d.categoryId(), d.score(), null, d.segmentation(), d.keypoints());
  }

  /** The detections of a variant as expected.json's README describes them. */
  static List<CocoDetection> variantDts(CocoDataset gt, List<CocoDetection> all, String variant) {
    List<CocoDetection> out = new ArrayList<>();
    switch (variant) {
      case "segm_dt_area_from_mask" -> all.forEach(d -> out.add(withoutBbox(d)));
      case "keypoints_dt_area_from_kpts" -> {
        int[] kc = gt.keypointCategoryIds();
        for (CocoDetection d : all) {
          if (java.util.Arrays.binarySearch(kc, d.categoryId()) >= 0) {
            out.add(new CocoDetection(d.imageId(), d.categoryId(), d.score(), null, null, d.keypoints()));
          }
        }
      }
      default -> out.addAll(all);
    }
    return out;
  }

  static IouType typeOf(String variant) {
    return IouType.parse(variant.startsWith("segm") ? "segm" : variant.startsWith("keypoints") ? "keypoints" : "bbox");
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void matchesPycocotools(String c, String variant) throws IOException {
    Path dir = CocoVectors.file(c);
    JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile()).get(variant);
    CocoDataset gt = gt(c);
    List<CocoDetection> dts = variantDts(gt, dts(c), variant);
    EvalResult r = CocoEvaluator.evaluate(gt, dts, typeOf(variant));
    check(expected, r, c + " " + variant);
    // the images and categories spread over the cores (evaluate --engine local): the same numbers
    EvalParams p = CocoEvaluator.defaultParams(gt, typeOf(variant));
    List<LoadedDetection> loaded = LoadRes.apply(gt, dts, LoadRes.AreaSource.AUTO);
    check(expected, CocoEvaluator.evaluateLoadedInParallel(gt, loaded, p), c + " " + variant + " in parallel");
  }

  static void check(JsonNode expected, EvalResult r, String what) {
    EvalSummary s = EvalSummary.of(r);
    double[] stats = s.stats();
    JsonNode es = expected.get("stats");
    assertEquals(es.size(), stats.length, what + " stats length");
    for (int i = 0; i < stats.length; i++) {
      assertEquals(es.get(i).asDouble(), stats[i], TOL, what + " stats[" + i + "]\n" + s.text());
    }
    EvalParams p = r.params();
    JsonNode cats = expected.get("catIds");
    assertEquals(cats.size(), p.catCount(), what + " catIds");
    for (int k = 0; k < cats.size(); k++) {
      assertEquals(cats.get(k).asInt(), p.catId(k), what + " catIds");
    }
    Map<Integer, EvalSummary.CategoryStats> per = s.perCategory();
    JsonNode ep = expected.get("per_category_all_area_maxdet_last");
    assertEquals(ep.size(), per.size(), what + " per-category count");
    ep.fields().forEachRemaining(e -> {
      EvalSummary.CategoryStats cs = per.get(Integer.parseInt(e.getKey()));
      String w = what + " category " + e.getKey();
      assertEquals(e.getValue().get("AP").asDouble(), cs.ap(), TOL, w + " AP");
      assertEquals(e.getValue().get("AP50").asDouble(), cs.ap50(), TOL, w + " AP50");
      assertEquals(e.getValue().get("AP75").asDouble(), cs.ap75(), TOL, w + " AP75");
      assertEquals(e.getValue().get("AR").asDouble(), cs.ar(), TOL, w + " AR");
    });
    JsonNode rec = expected.get("recall_TKAM");
    assertEquals(p.iouThrCount(), rec.size());
    for (int t = 0; t < p.iouThrCount(); t++) {
      for (int k = 0; k < p.catCount(); k++) {
        for (int a = 0; a < p.areaCount(); a++) {
          for (int m = 0; m < p.maxDetCount(); m++) {
            assertEquals(rec.get(t).get(k).get(a).get(m).asDouble(), r.recall(t, k, a, m), TOL,
                what + " recall[" + t + "][" + k + "][" + a + "][" + m + "]");
          }
        }
      }
    }
  }
}
