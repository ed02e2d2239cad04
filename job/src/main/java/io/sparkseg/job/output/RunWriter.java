package io.sparkseg.job.output;

import io.sparkseg.tables.ImagesTable;
import io.sparkseg.tables.InstancesTable;
import io.sparkseg.tables.Tables;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * The rows of a run's {@code instances} and {@code images} tables from the per-image results;
 * the format's writer ({@link io.sparkseg.job.output.format.RunTables}) commits them.
 */
public final class RunWriter {
  private RunWriter() {}

  /** The instances table rows of {@code results} (schema {@link ImagesTable#WITH_INSTANCES}). */
  public static Dataset<Row> instancesOf(Dataset<Row> results, String modelName, String modelVersion, String runId) {
    Dataset<Row> exploded = results.select(functions.col(ImagesTable.IMAGE_ID),
        functions.explode(functions.col(ImagesTable.INSTANCES)).as("i"));
    List<Column> columns = new ArrayList<>();
    columns.add(functions.col(InstancesTable.IMAGE_ID));
    for (String field : InstancesTable.INSTANCE.fieldNames()) {
      columns.add(functions.col("i." + field));
    }
    columns.add(functions.lit(modelName).as(InstancesTable.MODEL_NAME));
    columns.add(functions.lit(modelVersion).as(InstancesTable.MODEL_VERSION));
    columns.add(functions.lit(runId).as(InstancesTable.RUN_ID));
    return exploded.select(columns.toArray(new Column[0]));
  }

  /** The images table rows of {@code results}: its columns in table order, and the run. */
  public static Dataset<Row> imagesOf(Dataset<Row> results, String runId) {
    List<Column> columns = new ArrayList<>();
    for (String name : Tables.without(ImagesTable.SCHEMA, Tables.RUN_ID).fieldNames()) {
      columns.add(functions.col(name));
    }
    columns.add(functions.lit(runId).as(ImagesTable.RUN_ID));
    return results.select(columns.toArray(new Column[0]));
  }
}
