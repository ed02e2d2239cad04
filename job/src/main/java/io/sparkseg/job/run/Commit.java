package io.sparkseg.job.run;

import java.util.function.IntFunction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;

/**
 * One planned commit of a run: its global index, how many images it holds (at most
 * {@code --commit-images}, in input order) and how to get its {@code (image_id, path)} rows in a
 * number of partitions.
 *
 * @param index the commit's index within the run (a resumed attempt continues after the last committed one)
 */
public record Commit(int index, long images, IntFunction<JavaRDD<Row>> rows) {
  /** Its rows in {@code partitions} partitions (at most one per row). */
  public JavaRDD<Row> partitioned(int partitions) {
    return rows.apply((int) Math.max(1, Math.min(partitions, images)));
  }
}
