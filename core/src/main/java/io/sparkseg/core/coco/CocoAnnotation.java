package io.sparkseg.core.coco;

/**
 * A ground-truth annotation of a COCO annotation file. Optional fields are {@code null} when
 * absent: {@code area}, {@code bbox} ({@code [x,y,w,h]}), {@code segmentation}, {@code keypoints}
 * (flat {@code [x,y,v,...]}) and {@code numKeypoints}.
 */
public record CocoAnnotation(
    long id,
    long imageId,
    int categoryId,
    boolean iscrowd,
    Double area,
    double[] bbox,
    Segmentation segmentation,
    double[] keypoints,
    Integer numKeypoints) implements java.io.Serializable {}
