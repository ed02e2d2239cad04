package io.sparkseg.job.evaluate.input;

import io.sparkseg.core.coco.CocoAnnotation;
import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoImage;
import java.io.Serializable;
import java.util.List;

/**
 * One image of the ground truth and its annotations in file order, each the record pycocotools
 * would look up by the annotation's id (the last one of a repeated id, here with this image's id).
 */
public record ImageGroundTruth(CocoImage image, List<CocoAnnotation> annotations) implements Serializable {
  /** This image as a dataset of its own, for the single-machine evaluator's per-image steps. */
  public CocoDataset asDataset() {
    return new CocoDataset(List.of(image), List.of(), annotations);
  }
}
