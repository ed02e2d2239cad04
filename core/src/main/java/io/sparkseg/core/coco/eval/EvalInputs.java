package io.sparkseg.core.coco.eval;

import io.sparkseg.core.coco.CocoAnnotation;
import io.sparkseg.core.coco.CocoImage;
import io.sparkseg.core.mask.Boxes;
import io.sparkseg.core.mask.Rle;

/**
 * Turns annotations and loaded detections into the small {@link EvalGt}/{@link EvalDt} values the
 * per-image evaluation needs for one iouType, as pycocotools' {@code _prepare} does (masks via
 * {@code annToRLE}, ignore flags). Errors name the record.
 */
public final class EvalInputs {
  private EvalInputs() {}

  /** The ground-truth object of annotation {@code a} in image {@code img}. */
  public static EvalGt gt(IouType type, CocoAnnotation a, CocoImage img) {
    String rec = "annotation id " + a.id();
    if (a.area() == null) {
      throw new IllegalArgumentException(rec + ": area is missing");
    }
    boolean ignore = a.iscrowd();
    double[] bbox = null;
    Rle mask = null;
    double[] kps = null;
    switch (type) {
      case BBOX -> bbox = requireBox(a, rec);
      case SEGM, BOUNDARY -> {
        if (a.segmentation() == null) {
          throw new IllegalArgumentException(rec + ": segmentation is missing");
        }
        try {
          mask = a.segmentation().toRle(img.height(), img.width());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(rec + " (image id " + img.id() + "): " + e.getMessage(), e);
        }
      }
      case KEYPOINTS -> {
        bbox = requireBox(a, rec);
        if (a.keypoints() == null) {
          throw new IllegalArgumentException(rec + ": keypoints are missing (its category declares keypoints)");
        }
        kps = a.keypoints();
        ignore = a.numKeypoints() == 0 || ignore;
      }
      default -> throw new IllegalStateException();
    }
    return new EvalGt(a.id(), a.iscrowd(), ignore, a.area(), bbox, mask, kps);
  }

  private static double[] requireBox(CocoAnnotation a, String rec) {
    if (a.bbox() == null) {
      throw new IllegalArgumentException(rec + ": bbox is missing");
    }
    return a.bbox();
  }

  /** The evaluated detection of {@code d} in an image of the given size. */
  public static EvalDt dt(IouType type, LoadedDetection d, int imageHeight, int imageWidth) {
    String rec = "detection id " + d.id() + " (image_id " + d.imageId() + ")";
    switch (type) {
      case BBOX -> {
        return new EvalDt(d.id(), d.score(), d.area(), d.bbox(), null, null);
      }
      case SEGM, BOUNDARY -> {
        Rle mask;
        try {
          if (d.segmentation() != null) {
            mask = d.segmentation().toRle(imageHeight, imageWidth);
          } else if (d.bbox() != null) {
            mask = Boxes.toRle(d.bbox(), imageHeight, imageWidth);
          } else {
            throw new IllegalArgumentException("segmentation is missing");
          }
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(rec + ": " + e.getMessage(), e);
        }
        return new EvalDt(d.id(), d.score(), d.area(), d.bbox(), mask, null);
      }
      case KEYPOINTS -> {
        if (d.keypoints() == null) {
          throw new IllegalArgumentException(rec + ": keypoints are missing (its category declares keypoints)");
        }
        return new EvalDt(d.id(), d.score(), d.area(), d.bbox(), null, d.keypoints());
      }
      default -> throw new IllegalStateException();
    }
  }
}
