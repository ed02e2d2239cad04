package io.sparkseg.core.coco.eval;

import io.sparkseg.core.mask.Rle;
import java.io.Serializable;

/**
 * A ground-truth object as the per-image evaluation sees it. {@code ignore} is pycocotools'
 * {@code gt['ignore']}: crowd, or for keypoints also {@code num_keypoints == 0}. {@code area} is
 * the annotation's {@code area} field. Only the geometry the iouType needs is set ({@code bbox}
 * for bbox and keypoints, {@code mask} for segm and boundary, {@code keypoints} for keypoints).
 */
public record EvalGt(long id, boolean crowd, boolean ignore, double area, double[] bbox, Rle mask, double[] keypoints)
    implements Serializable {}
