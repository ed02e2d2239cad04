package io.sparkseg.core.coco.errors;

/**
 * TIDE's six error types, in TIDE's order. IoU is with non-crowd ground truth; t_f and t_b are
 * {@link ErrorThresholds}.
 */
public enum ErrorType {
  /** Right place, wrong class: IoU &gt;= t_f with a ground truth of another class. Fix: the right class. */
  CLS("Cls"),
  /** Right class, poor box or mask: t_b &lt;= IoU &lt; t_f with one of its class. Fix: its geometry. */
  LOC("Loc"),
  /** Wrong class and poor geometry: t_b &lt; IoU &lt; t_f with another class only. Fix: remove it. */
  BOTH("Both"),
  /** A second detection of a ground truth already matched (IoU &gt;= t_f). Fix: remove it. */
  DUPE("Dupe"),
  /** Overlaps no ground truth (IoU &lt;= t_b with all). Fix: remove it. */
  BKG("Bkg"),
  /** A ground truth no detection matched nor a Cls/Loc error points to. Fix: remove the ground truth. */
  MISS("Miss");

  private final String shortName;

  ErrorType(String shortName) {
    this.shortName = shortName;
  }

  /** TIDE's short name: Cls, Loc, Both, Dupe, Bkg, Miss. */
  public String shortName() {
    return shortName;
  }
}
