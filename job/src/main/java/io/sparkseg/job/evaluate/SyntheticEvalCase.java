package io.sparkseg.job.evaluate;

import io.sparkseg.core.coco.CocoAnnotation;
import io.sparkseg.core.coco.CocoCategory;
import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoImage;
import io.sparkseg.core.coco.Segmentation;
import io.sparkseg.core.mask.Rle;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A deterministic synthetic COCO evaluation case of any size, for benchmarks: images of 480x640
 * or so, ellipse-shaped objects in 10 categories (polygon GT, some crowd RLE GT), and detections
 * with compressed-RLE ellipse masks, most of them jittered copies of a GT object, the rest random,
 * scores with 2 decimals (so there are ties). Category 1 is a keypoint category (COCO's 17 person
 * keypoints): its GT objects and detections carry keypoints inside their ellipse, drawn from a
 * random stream of their own so the boxes and masks do not depend on them.
 */
public final class SyntheticEvalCase {
  /** The generated ground truth and detections (in results-file order). */
  public record Case(CocoDataset groundTruth, List<CocoDetection> detections) {}

  /** The category whose objects have keypoints. */
  static final int KEYPOINT_CATEGORY = 1;

  /** COCO's person keypoints, so COCO's OKS sigmas apply. */
  static final List<String> KEYPOINT_NAMES = List.of("nose", "left_eye", "right_eye", "left_ear", "right_ear",
      "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
      "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle");

  private SyntheticEvalCase() {}

  /**
   * @param images number of images
   * @param gtObjects total GT objects (spread over the images)
   * @param detections total detections (spread over the images)
   */
  public static Case generate(int images, int gtObjects, int detections, long seed) {
    Random rnd = new Random(seed);
    Random kpRnd = new Random(~seed);
    int cats = 10;
    List<CocoCategory> categories = new ArrayList<>();
    categories.add(new CocoCategory(KEYPOINT_CATEGORY, "person", "synthetic", KEYPOINT_NAMES, List.of(), null));
    for (int c = 2; c <= cats; c++) {
      categories.add(new CocoCategory(c, "cat" + c, "synthetic"));
    }
    List<CocoImage> imgs = new ArrayList<>(images);
    List<CocoAnnotation> anns = new ArrayList<>(gtObjects);
    List<CocoDetection> dts = new ArrayList<>(detections);
    long annId = 1;
    for (int i = 0; i < images; i++) {
      long imageId = 1000L + i * 7L;
      int w = 480 + rnd.nextInt(200);
      int h = 360 + rnd.nextInt(160);
      imgs.add(new CocoImage(imageId, w, h, imageId + ".jpg"));
      int nGt = share(gtObjects, images, i);
      int nDt = share(detections, images, i);
      List<double[]> objs = new ArrayList<>(); // cx, cy, rx, ry, cat
      List<double[]> objKps = new ArrayList<>(); // the GT keypoints of each, null outside category 1
      for (int g = 0; g < nGt; g++) {
        double rx = 3 + Math.abs(rnd.nextGaussian()) * 40;
        double ry = 3 + Math.abs(rnd.nextGaussian()) * 40;
        double cx = rx + rnd.nextDouble() * Math.max(1, w - 2 * rx);
        double cy = ry + rnd.nextDouble() * Math.max(1, h - 2 * ry);
        int cat = 1 + rnd.nextInt(cats);
        objs.add(new double[] {cx, cy, rx, ry, cat});
        boolean crowd = rnd.nextInt(50) == 0;
        Segmentation seg;
        double area;
        double[] bbox;
        if (crowd) {
          Rle r = ellipse(h, w, cx, cy, rx * 2, ry * 2);
          seg = new Segmentation.RleMask(r, false);
          area = r.area();
          bbox = r.toBbox();
        } else {
          double[] poly = new double[24];
          double x0 = Double.MAX_VALUE, y0 = Double.MAX_VALUE, x1 = -Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
          for (int k = 0; k < 12; k++) {
            double a = 2 * Math.PI * k / 12;
            double px = Math.round((cx + rx * Math.cos(a)) * 100) / 100.0;
            double py = Math.round((cy + ry * Math.sin(a)) * 100) / 100.0;
            poly[2 * k] = px;
            poly[2 * k + 1] = py;
            x0 = Math.min(x0, px);
            y0 = Math.min(y0, py);
            x1 = Math.max(x1, px);
            y1 = Math.max(y1, py);
          }
          seg = new Segmentation.PolygonSet(List.of(poly));
          area = Math.PI * rx * ry;
          bbox = new double[] {x0, y0, x1 - x0, y1 - y0};
        }
        double[] kps = null;
        Integer numKps = null;
        if (cat == KEYPOINT_CATEGORY) {
          kps = crowd ? new double[3 * KEYPOINT_NAMES.size()] : gtKeypoints(kpRnd, cx, cy, rx, ry);
          numKps = visible(kps);
        }
        objKps.add(kps);
        anns.add(new CocoAnnotation(annId++, imageId, cat, crowd, area, bbox, seg, kps, numKps));
      }
      for (int d = 0; d < nDt; d++) {
        double cx, cy, rx, ry;
        int cat;
        double[] like = null; // the GT keypoints this detection copies, if any
        if (!objs.isEmpty() && rnd.nextInt(10) < 7) {
          int oi = rnd.nextInt(objs.size());
          double[] o = objs.get(oi);
          like = objKps.get(oi);
          double j = 0.25 * rnd.nextDouble();
          cx = o[0] + o[2] * j * rnd.nextGaussian();
          cy = o[1] + o[3] * j * rnd.nextGaussian();
          rx = Math.max(1, o[2] * (1 + j * rnd.nextGaussian()));
          ry = Math.max(1, o[3] * (1 + j * rnd.nextGaussian()));
          cat = rnd.nextInt(8) == 0 ? 1 + rnd.nextInt(cats) : (int) o[4];
        } else {
          rx = 3 + Math.abs(rnd.nextGaussian()) * 30;
          ry = 3 + Math.abs(rnd.nextGaussian()) * 30;
          cx = rnd.nextDouble() * w;
          cy = rnd.nextDouble() * h;
          cat = 1 + rnd.nextInt(cats);
        }
        Rle r = ellipse(h, w, cx, cy, rx, ry);
        double[] box = {Math.max(0, cx - rx), Math.max(0, cy - ry), 0, 0};
        box[2] = Math.min(w, cx + rx) - box[0];
        box[3] = Math.min(h, cy + ry) - box[1];
        double score = Math.round(rnd.nextDouble() * 100) / 100.0;
        double[] kps = cat != KEYPOINT_CATEGORY ? null
            : like != null ? dtKeypoints(kpRnd, like, rx, ry) : dtKeypoints(kpRnd, gtKeypoints(kpRnd, cx, cy, rx, ry), rx, ry);
        dts.add(new CocoDetection(imageId, cat, score, box, new Segmentation.RleMask(r, true), kps));
      }
    }
    // results files are not grouped by image
    java.util.Collections.shuffle(dts, rnd);
    return new Case(new CocoDataset(imgs, categories, anns), dts);
  }

  /** GT keypoints at fixed spots of the ellipse plus noise, 2 decimals; about a fifth unlabelled (0,0,0). */
  private static double[] gtKeypoints(Random rnd, double cx, double cy, double rx, double ry) {
    int k = KEYPOINT_NAMES.size();
    double[] kps = new double[3 * k];
    for (int i = 0; i < k; i++) {
      int v = rnd.nextInt(10);
      if (v < 2) {
        continue;
      }
      double a = 2 * Math.PI * i / k;
      double r = 0.3 + 0.5 * ((i * 7) % k) / k;
      kps[3 * i] = round2(cx + rx * (r * Math.cos(a) + 0.05 * rnd.nextGaussian()));
      kps[3 * i + 1] = round2(cy + ry * (r * Math.sin(a) + 0.05 * rnd.nextGaussian()));
      kps[3 * i + 2] = v < 3 ? 1 : 2;
    }
    return kps;
  }

  /** Predicted keypoints: every one of {@code gt}'s labelled ones moved by noise, the rest at the first. */
  private static double[] dtKeypoints(Random rnd, double[] gt, double rx, double ry) {
    double[] kps = new double[gt.length];
    double fx = gt[0];
    double fy = gt[1];
    for (int i = 0; i < gt.length; i += 3) {
      if (gt[i + 2] > 0) {
        fx = gt[i];
        fy = gt[i + 1];
        break;
      }
    }
    double spread = 0.02 + 0.1 * rnd.nextDouble();
    for (int i = 0; i < gt.length; i += 3) {
      double x = gt[i + 2] > 0 ? gt[i] : fx;
      double y = gt[i + 2] > 0 ? gt[i + 1] : fy;
      kps[i] = round2(x + rx * spread * rnd.nextGaussian());
      kps[i + 1] = round2(y + ry * spread * rnd.nextGaussian());
      kps[i + 2] = 1;
    }
    return kps;
  }

  private static int visible(double[] kps) {
    int n = 0;
    for (int i = 2; i < kps.length; i += 3) {
      if (kps[i] > 0) {
        n++;
      }
    }
    return n;
  }

  private static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static int share(int total, int parts, int i) {
    return (int) ((long) total * (i + 1) / parts - (long) total * i / parts);
  }

  /** The ellipse {@code ((x+.5-cx)/rx)^2 + ((y+.5-cy)/ry)^2 <= 1} as an RLE, built column by column. */
  static Rle ellipse(int h, int w, double cx, double cy, double rx, double ry) {
    int x0 = Math.max(0, (int) Math.floor(cx - rx));
    int x1 = Math.min(w - 1, (int) Math.ceil(cx + rx));
    int[] counts = new int[2 * Math.max(0, x1 - x0 + 1) + 2];
    int n = 0;
    long pos = 0; // pixels covered by the runs so far
    for (int x = x0; x <= x1; x++) {
      double dx = (x + .5 - cx) / rx;
      if (dx * dx > 1) {
        continue;
      }
      double half = ry * Math.sqrt(1 - dx * dx);
      int ya = Math.max(0, (int) Math.ceil(cy - half - .5));
      int yb = Math.min(h - 1, (int) Math.floor(cy + half - .5));
      if (yb < ya) {
        continue;
      }
      long start = (long) x * h + ya;
      counts[n++] = (int) (start - pos);
      counts[n++] = yb - ya + 1;
      pos = start + (yb - ya + 1);
    }
    counts[n++] = (int) ((long) h * w - pos);
    // merge zero-length zero runs between columns (adjacent column intervals touch)
    int[] out = new int[n];
    int m = 0;
    for (int i = 0; i < n; i++) {
      if (i > 0 && i % 2 == 0 && counts[i] == 0 && i < n - 1) {
        out[m - 1] += counts[i + 1];
        i++;
      } else {
        out[m++] = counts[i];
      }
    }
    if (m > 1 && out[m - 1] == 0) {
      m--; // the mask reaches the last pixel: no trailing zeros run, as pycocotools encodes it
    }
    return new Rle(h, w, java.util.Arrays.copyOf(out, m));
  }
}
