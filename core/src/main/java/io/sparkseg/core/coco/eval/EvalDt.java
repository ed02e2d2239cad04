package io.sparkseg.core.coco.eval;

import io.sparkseg.core.mask.Rle;
import java.io.Serializable;

/**
 * A detection as the per-image evaluation sees it, after pycocotools' {@code loadRes}: {@code id}
 * (&gt;= 1) orders score ties (lower first, as the results-file order does), {@code area} comes
 * from the loadRes branch. Only the geometry the iouType needs is set.
 */
public record EvalDt(long id, double score, double area, double[] bbox, Rle mask, double[] keypoints)
    implements Serializable {}
