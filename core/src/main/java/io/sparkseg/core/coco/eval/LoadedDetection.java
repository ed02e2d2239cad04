package io.sparkseg.core.coco.eval;

import io.sparkseg.core.coco.Segmentation;

/**
 * A detection after pycocotools' {@code loadRes}: {@code id} = 1 + its position in the results,
 * {@code area} and {@code bbox} as the loadRes branch sets them. {@code segmentation} is {@code
 * null} when the detection has none (the bbox branch then uses the box as a polygon).
 */
public record LoadedDetection(
    long id, long imageId, int categoryId, double score, double area, double[] bbox, Segmentation segmentation,
    double[] keypoints) implements java.io.Serializable {}
