package io.sparkseg.job.output.format;

import static io.sparkseg.job.output.format.TableSchemas.IMAGES;
import static io.sparkseg.job.output.format.TableSchemas.INSTANCES;
import static io.sparkseg.job.output.format.TableSchemas.RUNS;
import static io.sparkseg.job.output.format.TableSchemas.RUN_ID;

import io.delta.tables.DeltaTable;
import java.util.Arrays;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Delta Lake path tables {@code DIR/instances}, {@code DIR/images}, {@code DIR/runs}, partitioned
 * by run_id. A commit appends with {@code txnAppId = sparkseg:RUN:ATTEMPT:TABLE} and
 * {@code txnVersion = commit}, so Delta itself skips a commit appended twice; a run's rows are
 * replaced with {@code replaceWhere run_id = 'RUN'}. Replace attempts stage under
 * {@code DIR/_staging/} (outside every table).
 */
final class DeltaRunTables extends LakeRunTables {
  private final Path root;

  /** The tables under {@code root} as they are ({@link #open} creates missing ones). */
  DeltaRunTables(SparkSession spark, Path root) {
    super(spark);
    this.root = root;
  }

  static DeltaRunTables open(SparkSession spark, String output) {
    if (output == null || output.isBlank()) {
      throw new IllegalArgumentException("--output is empty: the folder the delta tables go to");
    }
    DeltaRunTables t = new DeltaRunTables(spark, new Path(output));
    for (Map.Entry<String, StructType> e : Map.of(INSTANCES, TableSchemas.INSTANCES_TABLE, IMAGES,
        TableSchemas.IMAGES_TABLE, RUNS, TableSchemas.RUNS_TABLE).entrySet()) {
      DeltaTable.createIfNotExists(spark).location(t.path(e.getKey())).addColumns(withoutNotNullInArrays(e.getValue()))
          .partitionedBy(RUN_ID).execute();
    }
    return t;
  }

  /**
   * {@code schema} with the fields of structs inside arrays and maps nullable: Delta enforces NOT
   * NULL on top-level and struct fields only, and refuses to create a table declaring more.
   */
  static StructType withoutNotNullInArrays(StructType schema) {
    return new StructType(Arrays.stream(schema.fields())
        .map(f -> new StructField(f.name(), nestedNullable(f.dataType(), false), f.nullable(), f.metadata()))
        .toArray(StructField[]::new));
  }

  private static DataType nestedNullable(DataType type, boolean inCollection) {
    if (type instanceof StructType st) {
      return new StructType(Arrays.stream(st.fields())
          .map(f -> new StructField(f.name(), nestedNullable(f.dataType(), inCollection), inCollection || f.nullable(), f.metadata()))
          .toArray(StructField[]::new));
    }
    if (type instanceof ArrayType at) {
      return new ArrayType(nestedNullable(at.elementType(), true), at.containsNull());
    }
    if (type instanceof MapType mt) {
      return new MapType(nestedNullable(mt.keyType(), true), nestedNullable(mt.valueType(), true), mt.valueContainsNull());
    }
    return type;
  }

  @Override
  public TableFormat format() {
    return TableFormat.DELTA;
  }

  String path(String table) {
    return new Path(root, table).toString();
  }

  @Override
  String ident(String table) {
    return "delta.`" + path(table).replace("`", "``") + "`";
  }

  @Override
  Dataset<Row> read(String table) {
    return spark.read().format("delta").load(path(table));
  }

  @Override
  void append(String table, Dataset<Row> rows, String runId, String attempt, int commit) {
    rows.write().format("delta").mode(SaveMode.Append)
        .option("txnAppId", "sparkseg:" + runId + ":" + attempt + ":" + table)
        .option("txnVersion", commit)
        .save(path(table));
  }

  @Override
  void replaceRun(String table, String runId, Dataset<Row> rows) {
    rows.write().format("delta").mode(SaveMode.Overwrite)
        .option("replaceWhere", TableRows.runCondition(runId))
        .save(path(table));
  }

  @Override
  Path stagingRoot() {
    return new Path(root, ParquetRunTables.STAGING);
  }
}
