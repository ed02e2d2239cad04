package io.sparkseg.job.run;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;

/**
 * One planned commit of a run: its global index and its {@code (image_id, path)} rows, at most
 * {@code --commit-images} of them, in input order.
 */
public interface Commit {
  /** The commit's index within the run (a resumed attempt continues after the last committed one). */
  int index();

  /** How many images it holds. */
  long images();

  /** Its rows in {@code partitions} partitions (at most one per row). */
  JavaRDD<Row> partitioned(int partitions);
}
