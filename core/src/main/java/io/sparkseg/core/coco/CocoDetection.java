package io.sparkseg.core.coco;

/**
 * One record of a COCO results file (a detection). {@code bbox}, {@code segmentation} and {@code
 * keypoints} are {@code null} when absent; which are present decides how pycocotools' {@code
 * loadRes} derives the detection's area (see {@code io.sparkseg.core.coco.eval.LoadRes}).
 */
public record CocoDetection(
    long imageId, int categoryId, double score, double[] bbox, Segmentation segmentation, double[] keypoints)
    implements java.io.Serializable {}
