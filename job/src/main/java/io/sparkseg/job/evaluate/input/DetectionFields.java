package io.sparkseg.job.evaluate.input;

import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.eval.LoadRes;
import java.io.Serializable;
import java.util.Arrays;

/**
 * What the evaluated iouTypes read of a detection: its category (among {@code categories}, sorted;
 * {@code null}: any), its mask and its keypoints. The rest is dropped before the detections are
 * shuffled to their images, so a bbox evaluation does not move masks and a keypoints evaluation
 * moves only the categories that have keypoints.
 */
public record DetectionFields(int[] categories, boolean masks, boolean keypoints) implements Serializable {
  /** Everything: every category, masks and keypoints. */
  public static final DetectionFields ALL = new DetectionFields(null, true, true);

  public DetectionFields {
    categories = categories == null ? null : Arrays.stream(categories).sorted().distinct().toArray();
  }

  /** Whether a detection of category {@code categoryId} is evaluated at all. */
  public boolean wants(int categoryId) {
    return categories == null || Arrays.binarySearch(categories, categoryId) >= 0;
  }

  /** These fields and the ones the loadRes {@code branch} derives areas from. */
  public DetectionFields with(LoadRes.AreaSource branch) {
    return new DetectionFields(categories, masks || branch == LoadRes.AreaSource.SEGM,
        keypoints || branch == LoadRes.AreaSource.KEYPOINTS);
  }

  /** The detection without the fields not wanted here. */
  public CocoDetection project(CocoDetection d) {
    boolean dropMask = !masks && d.segmentation() != null;
    boolean dropKeypoints = !keypoints && d.keypoints() != null;
    if (!dropMask && !dropKeypoints) {
      return d;
    }
    return new CocoDetection(d.imageId(), d.categoryId(), d.score(), d.bbox(), dropMask ? null : d.segmentation(),
        dropKeypoints ? null : d.keypoints());
  }
}
