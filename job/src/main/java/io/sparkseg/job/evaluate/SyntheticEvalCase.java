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
 * scores with 2 decimals (so there are ties).
 */
public final class SyntheticEvalCase {
  /** The generated ground truth and detections (in results-file order). */
  public record Case(CocoDataset groundTruth, List<CocoDetection> detections) {}

  private SyntheticEvalCase() {}

  /**
   * @param images number of images
   * @param gtObjects total GT objects (spread over the images)
   * @param detections total detections (spread over the images)
   */
  public static Case generate(int images, int gtObjects, int detections, long seed) {
    Random rnd = new Random(seed);
    int cats = 10;
    List<CocoCategory> categories = new ArrayList<>();
    for (int c = 1; c <= cats; c++) {
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
        anns.add(new CocoAnnotation(annId++, imageId, cat, crowd, area, bbox, seg, null, null));
      }
      for (int d = 0; d < nDt; d++) {
        double cx, cy, rx, ry;
        int cat;
        if (!objs.isEmpty() && rnd.nextInt(10) < 7) {
          double[] o = objs.get(rnd.nextInt(objs.size()));
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
        dts.add(new CocoDetection(imageId, cat, score, box, new Segmentation.RleMask(r, true), null));
      }
    }
    // results files are not grouped by image
    java.util.Collections.shuffle(dts, rnd);
    return new Case(new CocoDataset(imgs, categories, anns), dts);
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
