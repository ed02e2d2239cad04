package io.sparkseg.core.coco.errors;

/** TIDE's IoU thresholds (its defaults). */
public final class ErrorThresholds {
  /** t_f: at or above it a detection can be a true positive (the analysis is of AP at this IoU). */
  public static final double FOREGROUND = 0.5;
  /** t_b: at or below it a detection overlaps nothing (background). */
  public static final double BACKGROUND = 0.1;

  private ErrorThresholds() {}
}
