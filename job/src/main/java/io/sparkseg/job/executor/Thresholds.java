package io.sparkseg.job.executor;

import java.io.Serializable;

/**
 * Which detections and images are kept: minimum score and mask threshold (null = the bundle's
 * defaults), and the pixel limit checked before decoding.
 */
public record Thresholds(Float score, Float mask, long maxImagePixels) implements Serializable {}
