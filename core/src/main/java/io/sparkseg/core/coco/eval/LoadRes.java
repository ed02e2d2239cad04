package io.sparkseg.core.coco.eval;

import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoImage;
import io.sparkseg.core.coco.Segmentation;
import io.sparkseg.core.mask.Rle;
import java.util.ArrayList;
import java.util.List;

/**
 * pycocotools' {@code COCO.loadRes} for a list of detections: ids 1 + index, iscrowd 0, and the
 * detection area from one of three branches, chosen by the <em>first</em> detection as
 * pycocotools does ({@link AreaSource#AUTO}) or forced:
 *
 * <ul>
 *   <li>{@code BBOX} (first has a non-empty bbox): {@code area = w*h}; a detection without a
 *       segmentation gets its box as a polygon;
 *   <li>{@code SEGM} (else, first has a segmentation): {@code area} = mask pixel count, {@code
 *       bbox = toBbox(mask)} when absent;
 *   <li>{@code KEYPOINTS} (else): {@code area} and {@code bbox} from the keypoints' extent.
 * </ul>
 */
public final class LoadRes {
  /** Which loadRes branch gives the detections' areas. */
  public enum AreaSource {
    AUTO,
    BBOX,
    SEGM,
    KEYPOINTS
  }

  private LoadRes() {}

  /** The branch pycocotools takes for these detections. */
  public static AreaSource branch(List<CocoDetection> dts) {
    if (dts.isEmpty()) {
      return AreaSource.BBOX;
    }
    CocoDetection first = dts.get(0);
    if (first.bbox() != null) {
      return AreaSource.BBOX;
    }
    if (first.segmentation() != null) {
      return AreaSource.SEGM;
    }
    if (first.keypoints() != null) {
      return AreaSource.KEYPOINTS;
    }
    throw new IllegalArgumentException("detection #0 has no bbox, segmentation or keypoints");
  }

  /**
   * Applies loadRes to detections in results-file order.
   *
   * @throws IllegalArgumentException if a detection's image is not in the ground truth ("Results
   *     do not correspond to current coco set") or lacks what its branch needs
   */
  public static List<LoadedDetection> apply(CocoDataset gt, List<CocoDetection> dts, AreaSource source) {
    AreaSource b = source == AreaSource.AUTO ? branch(dts) : source;
    List<LoadedDetection> out = new ArrayList<>(dts.size());
    for (int i = 0; i < dts.size(); i++) {
      CocoDetection d = dts.get(i);
      CocoImage img = gt.image(d.imageId());
      if (img == null) {
        throw notInGroundTruth(i, d.imageId());
      }
      out.add(load(i + 1, d, b, img.height(), img.width(), "detection #" + i));
    }
    return out;
  }

  /** pycocotools' assertion that every detection's image is in the ground truth, naming the detection. */
  public static IllegalArgumentException notInGroundTruth(long position, long imageId) {
    return new IllegalArgumentException("Results do not correspond to current coco set: detection #" + position
        + " has image_id " + imageId + ", which is not in the ground truth");
  }

  /**
   * loadRes for one detection with id {@code id} in an image of the given size.
   *
   * @param what names the detection in error messages
   */
  public static LoadedDetection load(long id, CocoDetection d, AreaSource branch, int imageHeight, int imageWidth,
      String what) {
    switch (branch) {
      case BBOX -> {
        double[] bb = d.bbox();
        if (bb == null) {
          throw new IllegalArgumentException(what + " (image_id " + d.imageId() + "): bbox is missing"
              + " (the detections' areas come from their boxes, as the first detection has one)");
        }
        return new LoadedDetection(id, d.imageId(), d.categoryId(), d.score(), bb[2] * bb[3], bb, d.segmentation(),
            d.keypoints());
      }
      case SEGM -> {
        if (d.segmentation() == null) {
          throw new IllegalArgumentException(what + " (image_id " + d.imageId() + "): segmentation is missing"
              + " (the detections' areas come from their masks)");
        }
        Rle r;
        double[] bb;
        long area;
        try {
          r = d.segmentation().toRle(imageHeight, imageWidth);
          bb = d.bbox() != null ? d.bbox() : r.toBbox();
          area = r.area(); // decodes a mask kept compressed
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(what + " (image_id " + d.imageId() + "): " + e.getMessage(), e);
        }
        Segmentation seg = new Segmentation.RleMask(r, true);
        return new LoadedDetection(id, d.imageId(), d.categoryId(), d.score(), area, bb, seg, d.keypoints());
      }
      case KEYPOINTS -> {
        double[] k = d.keypoints();
        if (k == null || k.length < 3) {
          throw new IllegalArgumentException(what + " (image_id " + d.imageId() + "): keypoints are missing"
              + " (the detections' areas come from their keypoints)");
        }
        double x0 = Double.POSITIVE_INFINITY;
        double x1 = Double.NEGATIVE_INFINITY;
        double y0 = Double.POSITIVE_INFINITY;
        double y1 = Double.NEGATIVE_INFINITY;
        for (int j = 0; j + 1 < k.length; j += 3) {
          x0 = Math.min(x0, k[j]);
          x1 = Math.max(x1, k[j]);
          y0 = Math.min(y0, k[j + 1]);
          y1 = Math.max(y1, k[j + 1]);
        }
        return new LoadedDetection(id, d.imageId(), d.categoryId(), d.score(), (x1 - x0) * (y1 - y0),
            new double[] {x0, y0, x1 - x0, y1 - y0}, d.segmentation(), k);
      }
      default -> throw new IllegalArgumentException("AUTO is not a branch");
    }
  }
}
