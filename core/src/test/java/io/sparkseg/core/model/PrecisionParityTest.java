package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.coco.CocoAnnotation;
import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoImage;
import io.sparkseg.core.coco.CocoJsonReader;
import io.sparkseg.core.coco.Segmentation;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.EvalSummary;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.image.DecodeResult;
import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.mask.BoxIou;
import io.sparkseg.core.mask.MaskIou;
import io.sparkseg.core.result.ImageResult;
import io.sparkseg.core.result.Instance;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The embedded bundle's reduced-precision variants, made now by {@code sparkseg_models.precision} (Python is
 * required: a missing interpreter fails the test), against its float32 model through the Java predictor on the
 * first {@link #IMAGES} validation images of {@code samples/images}, flip test off (it doubles the heads' cost
 * and changes no precision rule): every float32 detection clear of the score threshold has a variant detection
 * with the same label, corners within 1 px and mask IoU at least 0.95; bbox and segm AP on those images (their
 * ground truth in {@code samples/annotations.json}) within 0.005 of float32's. Both variants run on this CPU's
 * libtorch; both are slow here (README "Figures"), hence the few images.
 */
class PrecisionParityTest {
  static final int IMAGES = 4;
  /** Detections this close to the score threshold may fall on either side of it in the other precision. */
  static final double MARGIN = 0.02;
  /** Masks under this many pixels: one pixel at the 0.5 threshold already costs more IoU than the rule allows. */
  static final long TINY_MASK = 50;

  @TempDir static Path tmp;
  static ModelBundle bundle;
  static List<RgbImage> images = new ArrayList<>();
  static List<Long> imageIds = new ArrayList<>();
  static List<ImageResult> fp32;
  static CocoDataset gt;

  @BeforeAll
  static void setUp() throws Exception {
    Path root = TestBundles.repoRoot();
    Path dir = tmp.resolve("bundle");
    makeVariant(root, root.resolve("samples/model"), "fp16", dir);
    makeVariant(root, dir, "bf16", null);
    bundle = ModelBundle.load(dir);
    CocoDataset all;
    try (InputStream in = Files.newInputStream(root.resolve("samples/annotations.json"))) {
      all = CocoJsonReader.readDataset(in);
    }
    List<CocoImage> used = new ArrayList<>();
    ImageDecoder decoder = new ImageDecoder();
    for (CocoImage img : all.images()) {
      Path f = root.resolve("samples/images").resolve(img.fileName());
      if (used.size() < IMAGES && Files.isRegularFile(f)) {
        DecodeResult d = decoder.decode(Files.readAllBytes(f));
        assertTrue(d.isOk(), d.message());
        images.add(d.image());
        imageIds.add(img.id());
        used.add(img);
      }
    }
    assertEquals(IMAGES, used.size(), "samples/images lacks validation images");
    List<CocoAnnotation> anns = new ArrayList<>();
    used.forEach(img -> anns.addAll(all.annotationsOfImage(img.id())));
    gt = new CocoDataset(used, all.categories(), anns);
    fp32 = predict(Precision.FP32);
  }

  /** Runs the exporter's precision command (into {@code out}, a copy, or in place when null). */
  static void makeVariant(Path root, Path bundleDir, String precision, Path out) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", "-m", "sparkseg_models.precision",
        "--bundle", bundleDir.toString(), "--precision", precision));
    if (out != null) {
      cmd.addAll(List.of("--out", out.toString()));
    }
    Process p = new ProcessBuilder(cmd).directory(root.resolve("models").toFile()).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), "sparkseg_models.precision failed:\n" + log);
  }

  static List<ImageResult> predict(Precision precision) {
    try (MaskRcnnModel m = MaskRcnnModel.load(bundle, "cpu", FlipTest.OFF, precision)) {
      assertEquals(precision, m.precision());
      assertEquals("cpu", EngineDevice.name(m.device()));
      PredictOptions o = new PredictOptions((float) (bundle.defaultOptions().scoreThreshold() - MARGIN),
          bundle.defaultOptions().maskThreshold());
      List<ImageResult> out = new ArrayList<>();
      for (RgbImage img : images) {
        out.add(m.predict(List.of(img), o).get(0));
      }
      return out;
    }
  }

  @AfterAll
  static void clear() {
    images.clear();
    imageIds.clear();
  }

  @ParameterizedTest
  @EnumSource(value = Precision.class, names = {"FP16", "BF16"})
  void variantMatchesFloat32(Precision precision) {
    List<ImageResult> low = predict(precision);
    double cut = bundle.defaultOptions().scoreThreshold();
    int compared = 0;
    double worstCorner = 0;
    double worstIou = 1;
    for (int i = 0; i < images.size(); i++) {
      List<Instance> unmatched = new ArrayList<>(low.get(i).instances());
      for (Instance a : fp32.get(i).instances()) {
        if (a.score() < cut + MARGIN) {
          continue; // borderline: may be absent in the other precision
        }
        Instance b = closest(unmatched, a);
        assertNotNull(b, precision.id() + ": no detection for float32's " + a.categoryName() + " " + a.score()
            + " at " + a.box() + " in image " + imageIds.get(i));
        unmatched.remove(b);
        assertEquals(a.categoryId(), b.categoryId(), "label of the detection at " + a.box());
        double corner = Math.max(Math.max(Math.abs(a.box().x() - b.box().x()), Math.abs(a.box().y() - b.box().y())),
            Math.max(Math.abs(a.box().x2() - b.box().x2()), Math.abs(a.box().y2() - b.box().y2())));
        assertTrue(corner <= 1.0, precision.id() + ": box corners " + corner + " px apart at " + a.box());
        worstCorner = Math.max(worstCorner, corner);
        if (Math.max(a.mask().area(), b.mask().area()) >= TINY_MASK) {
          double iou = MaskIou.iou(a.mask(), b.mask(), false);
          assertTrue(iou >= 0.95, precision.id() + ": mask IoU " + iou + " at " + a.box());
          worstIou = Math.min(worstIou, iou);
        }
        compared++;
      }
    }
    assertTrue(compared >= 8, "only " + compared + " detections compared");
    for (IouType type : List.of(IouType.BBOX, IouType.SEGM)) {
      double apFp32 = ap(fp32, type);
      double apLow = ap(low, type);
      System.out.printf("precision parity %s: %d detections, worst corner %.3f px, worst mask IoU %.4f; %s AP "
          + "fp32 %.4f, %s %.4f%n", precision.id(), compared, worstCorner, worstIou, type, apFp32, precision.id(), apLow);
      assertEquals(apFp32, apLow, 0.005, type + " AP of " + precision.id() + " against float32");
    }
  }

  @Test
  void bundleWithoutTheVariantFailsSayingHowToMakeOne() {
    ModelBundle plain = ModelBundle.load(TestBundles.repoRoot().resolve("samples/model"));
    InvalidBundleException e = assertThrows(InvalidBundleException.class,
        () -> MaskRcnnModel.verify(plain, FlipTest.AUTO, Precision.BF16));
    assertTrue(e.getMessage().contains("has no bf16 model") && e.getMessage().contains("sparkseg_models.precision"),
        e.getMessage());
    assertEquals(Set.of(Precision.FP16, Precision.BF16), bundle.precisionVariants());
  }

  private static Instance closest(List<Instance> candidates, Instance a) {
    Instance best = null;
    double bestIou = 0.5;
    for (Instance c : candidates) {
      double iou = BoxIou.iou(box(a), box(c), false);
      if (iou >= bestIou) {
        bestIou = iou;
        best = c;
      }
    }
    return best;
  }

  private static double[] box(Instance a) {
    return new double[] {a.box().x(), a.box().y(), a.box().width(), a.box().height()};
  }

  private static double ap(List<ImageResult> results, IouType type) {
    double cut = bundle.defaultOptions().scoreThreshold();
    List<CocoDetection> dts = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      for (Instance a : results.get(i).instances()) {
        if (a.score() >= cut) {
          dts.add(type == IouType.BBOX
              ? new CocoDetection(imageIds.get(i), a.categoryId(), a.score(), box(a), null, null)
              : new CocoDetection(imageIds.get(i), a.categoryId(), a.maskScore(), null,
                  new Segmentation.RleMask(a.mask(), true), null));
        }
      }
    }
    return EvalSummary.of(CocoEvaluator.evaluate(gt, dts, type)).stats()[0];
  }
}
