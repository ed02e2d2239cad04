package io.sparkseg.core.coco.eval;

import java.util.Locale;

/** What a COCO evaluation compares: boxes, masks or keypoints (pycocotools' {@code iouType}). */
public enum IouType {
  BBOX,
  SEGM,
  KEYPOINTS;

  /** The pycocotools name: {@code bbox}, {@code segm} or {@code keypoints}. */
  public String cocoName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a pycocotools name (case-insensitive). */
  public static IouType parse(String s) {
    for (IouType t : values()) {
      if (t.cocoName().equalsIgnoreCase(s.trim())) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown iouType '" + s + "' (expected bbox, segm or keypoints)");
  }
}
