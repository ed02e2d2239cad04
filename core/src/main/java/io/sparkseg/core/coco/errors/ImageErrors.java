package io.sparkseg.core.coco.errors;

import io.sparkseg.core.coco.eval.ImageEval;
import java.io.Serializable;
import java.util.List;

/**
 * The error analysis of one image, small enough to travel from an executor: per scenario
 * (original, then each fix) its per-category evaluations, the error counts by (type ordinal,
 * category; a detection's error counts for its predicted category, a Miss for the ground truth's)
 * and the confusion counts by (ground-truth category, predicted category).
 */
public record ImageErrors(List<List<ImageEval>> scenarios, Tally errors, Tally confusion) implements Serializable {}
