package io.sparkseg.job.executor;

import java.io.Serializable;

/**
 * Which detections and images are kept: minimum score and mask threshold (null = the bundle's
 * defaults), the byte limit checked before reading a file and the pixel limit checked before
 * decoding.
 */
public record Thresholds(Float score, Float mask, long maxImagePixels, long maxImageBytes) implements Serializable {}
