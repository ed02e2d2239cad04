package io.sparkseg.job.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.job.TestSpark;
import io.sparkseg.job.output.format.TableFormat;
import io.sparkseg.tables.ImagesTable;
import io.sparkseg.tables.InstancesTable;
import io.sparkseg.tables.Tables;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Registering a run into tables that an older sparkseg created, with fewer columns. */
class TableRegistrarTest {

  @Test
  void aTableFromAnOlderSchemaGetsTheNewColumnsAndKeepsItsRuns(@TempDir Path tmp) {
    SparkSession spark = TestSpark.session();
    OutputLayout layout = new OutputLayout(tmp.resolve("out").toUri().toString());
    StructType old = Tables.without(InstancesTable.SCHEMA, InstancesTable.MASK_SCORE);
    Row bbox = org.apache.spark.sql.RowFactory.create(1.0, 2.0, 3.0, 4.0);
    Row mask = org.apache.spark.sql.RowFactory.create(2, 2, "04");
    spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create(7L, 0, 3, "car", 0.9f, bbox, mask, 4L,
            null, "m", "1", "old-run")), old)
        .drop("run_id").write().parquet(layout.instances() + "/run_id=old-run/commit=0");
    spark.sql("CREATE DATABASE IF NOT EXISTS evolve");
    spark.sql("DROP TABLE IF EXISTS evolve.instances");
    spark.sql("DROP TABLE IF EXISTS evolve.images");
    spark.sql("CREATE TABLE evolve.instances (" + TableRegistrar.nullableDdl(old.add("commit", "int"))
        + ") USING parquet PARTITIONED BY (run_id, `commit`) LOCATION '" + layout.instances() + "'");
    spark.sql("ALTER TABLE evolve.instances ADD PARTITION (run_id='old-run', `commit`=0)");

    spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create(8L, 0, 3, "car", 0.8f, bbox, mask, 4L, 0.6f,
            null, "m", "2", "new-run")), InstancesTable.SCHEMA)
        .drop("run_id").write().parquet(layout.instances() + "/run_id=new-run/commit=0");
    spark.createDataFrame(List.<Row>of(), ImagesTable.SCHEMA).drop("run_id").write()
        .parquet(layout.images() + "/run_id=new-run/commit=0");
    TableRegistrar.register(spark, "evolve", TableFormat.PARQUET, layout.root(), "new-run");

    assertTrue(Arrays.asList(spark.table("evolve.instances").columns()).contains("mask_score"));
    List<Row> rows = spark.sql("SELECT run_id, mask_score FROM evolve.instances ORDER BY run_id").collectAsList();
    assertEquals(2, rows.size());
    assertEquals("new-run", rows.get(0).getString(0));
    assertEquals(0.6f, rows.get(0).getFloat(1));
    assertTrue(rows.get(1).isNullAt(1), "the older run has no mask_score: " + rows.get(1));
  }
}
