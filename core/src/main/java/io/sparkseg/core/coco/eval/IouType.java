package io.sparkseg.core.coco.eval;

import java.util.Locale;

/**
 * What a COCO evaluation compares: boxes, masks or keypoints (pycocotools' {@code iouType}), or
 * masks and their contours ({@code boundary}: Boundary IoU's COCO evaluation, {@link
 * io.sparkseg.core.mask.BoundaryIou}).
 */
public enum IouType {
  BBOX,
  SEGM,
  KEYPOINTS,
  BOUNDARY;

  /** The pycocotools name: {@code bbox}, {@code segm}, {@code keypoints} or {@code boundary}. */
  public String cocoName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether it compares the detections' masks (segm, boundary). */
  public boolean comparesMasks() {
    return this == SEGM || this == BOUNDARY;
  }

  /** Parses a pycocotools name (case-insensitive). */
  public static IouType parse(String s) {
    for (IouType t : values()) {
      if (t.cocoName().equalsIgnoreCase(s.trim())) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown iouType '" + s + "' (expected bbox, segm, keypoints or boundary)");
  }
}
