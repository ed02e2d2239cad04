package io.sparkseg.job.executor;

import io.sparkseg.job.fs.HadoopConf;
import java.io.Serializable;

/** What every executor entry point needs to segment images; travels to the executors with the task. */
public record ExecutorSettings(ModelRef model, Thresholds thresholds, PipelineSettings pipeline, HadoopConf hadoopConf)
    implements Serializable {}
