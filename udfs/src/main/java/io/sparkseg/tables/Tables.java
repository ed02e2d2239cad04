package io.sparkseg.tables;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What every table sparkseg writes has in common: Parquet under a folder named after the table,
 * partitioned by {@link #RUN_ID}. The tables themselves: {@link InstancesTable}, {@link
 * ImagesTable}, {@link EvalTables}; the struct types they share with the SQL functions: {@link
 * Structs}.
 */
public final class Tables {
  private Tables() {}

  /** The partition column of every table: the run that wrote the row. */
  public static final String RUN_ID = "run_id";

  /** The image a row is about, in both result tables. */
  public static final String IMAGE_ID = "image_id";

  /**
   * A schema without one column: without {@link #RUN_ID}, what one partition's files hold;
   * without a column added later, the table as an older sparkseg wrote it.
   */
  public static StructType without(StructType schema, String column) {
    return Structs.struct(Arrays.stream(schema.fields()).filter(f -> !f.name().equals(column))
        .toArray(StructField[]::new));
  }

  static StructType concat(StructField[]... parts) {
    List<StructField> all = new ArrayList<>();
    for (StructField[] part : parts) {
      all.addAll(Arrays.asList(part));
    }
    return Structs.struct(all.toArray(new StructField[0]));
  }
}
