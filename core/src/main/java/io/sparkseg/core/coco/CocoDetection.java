package io.sparkseg.core.coco;

/**
 * One record of a COCO results file (a detection). {@code bbox}, {@code segmentation} and {@code
 * keypoints} are {@code null} when absent; which are present decides how pycocotools' {@code
 * loadRes} derives the detection's area (see {@code io.sparkseg.core.coco.eval.LoadRes}).
 */
public record CocoDetection(
    long imageId, int categoryId, double score, double[] bbox, Segmentation segmentation, double[] keypoints)
    implements java.io.Serializable {

  /**
   * A detection read for its image and category alone, one of a category an evaluation does not
   * read: pycocotools' loadRes still checks its image id.
   */
  public static CocoDetection imageOnly(long imageId, int categoryId) {
    return new CocoDetection(imageId, categoryId, Double.NaN, null, null, null);
  }

  /** Whether this is an {@link #imageOnly} record (a read detection's score is never NaN). */
  public boolean isImageOnly() {
    return Double.isNaN(score) && bbox == null && segmentation == null && keypoints == null;
  }
}
