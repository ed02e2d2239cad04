package io.sparkseg.job.config;

/**
 * How a run is split and judged: Spark partitions for the images (0 = automatic), the fraction of
 * images that may fail before the run exits with code 3, and seconds between progress lines (0 = off).
 */
public record RunLimits(int partitions, double maxFailedFraction, double progressIntervalSeconds) {}
