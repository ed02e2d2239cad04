package io.sparkseg.job.config;

/**
 * Where a run writes: the output root, the run id (the tables' partition value) and the optional
 * extra outputs (null = none): a copy of the summary JSON, a catalog database to register the
 * tables in, a COCO results file.
 */
public record Outputs(String output, String runId, String summaryJson, String registerTables, String cocoResults) {}
