package io.sparkseg.job.run;

import io.sparkseg.job.output.format.TableFormat;
import io.sparkseg.job.output.format.TableSchemas;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * Where a run's lock lives: {@code OUTPUT/_runs/ID.lock} beside Parquet folders and Delta tables;
 * for Iceberg (whose output is a catalog namespace) under the images table's location.
 */
final class RunLocks {
  private RunLocks() {}

  static Path fileFor(SparkSession spark, TableFormat format, String output, String runId) {
    if (format != TableFormat.ICEBERG) {
      return RunLock.fileFor(output, runId);
    }
    String images = output + "." + TableSchemas.IMAGES;
    try {
      String location = org.apache.iceberg.spark.Spark3Util.loadIcebergTable(spark, images).location();
      return new Path(location, "_sparkseg_runs/" + runId + ".lock");
    } catch (Exception e) {
      throw new IllegalStateException("cannot find the location of the Iceberg table " + images + ": " + e, e);
    }
  }
}
