package io.sparkseg.job.run;

import io.sparkseg.core.result.ImageStatus;
import io.sparkseg.job.executor.ExecutorSettings;
import io.sparkseg.job.executor.ImageBytes;
import io.sparkseg.job.executor.ImageOutcome;
import io.sparkseg.job.executor.ResultRows;
import io.sparkseg.job.executor.RunMetrics;
import io.sparkseg.job.executor.SegmentingPartitions;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;

/**
 * The segment job's partition function: {@code (image_id, path, refused)} rows
 * ({@link io.sparkseg.job.input.InputResolver#SCHEMA}) in, one
 * {@link io.sparkseg.tables.ImagesTable#WITH_INSTANCES} row per image out; a refused path is not read.
 */
final class ImageResultPartitions extends SegmentingPartitions {
  private static final long serialVersionUID = 1L;

  ImageResultPartitions(ExecutorSettings settings, RunMetrics metrics) {
    super(settings, metrics);
  }

  @Override
  protected ImageBytes.Read read(Row row, Configuration conf) {
    if (!row.isNullAt(2)) {
      return ImageBytes.Read.failed(ImageStatus.REFUSED_PATH, row.getString(2));
    }
    return readFile(row.getString(1), conf);
  }

  @Override
  protected Row output(Row row, ImageOutcome outcome) {
    return ResultRows.imageResult(row.getLong(0), row.getString(1), outcome);
  }
}
