package io.sparkseg.job.output.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** --table-format values and the Spark settings each format needs. */
class TableFormatTest {

  @Test
  void parsesTheThreeFormatsAndNamesTheChoicesForAnyOther() {
    assertEquals(TableFormat.PARQUET, TableFormat.parse("parquet"));
    assertEquals(TableFormat.DELTA, TableFormat.parse(" Delta "));
    assertEquals(TableFormat.ICEBERG, TableFormat.parse("ICEBERG"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TableFormat.parse("orc"));
    assertEquals("--table-format 'orc' is not one of parquet, delta, iceberg", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TableFormat.parse(null));
  }

  @Test
  void parquetNeedsNothing() {
    assertEquals(Map.of("spark.master", "local[2]"), TableFormat.PARQUET.sessionConf(Map.of("spark.master", "local[2]")));
  }

  @Test
  void deltaAndIcebergExtensionsAreAppendedOnceAfterTheUsersAndTheUsersCatalogWins() {
    Map<String, String> both = TableFormat.DELTA.sessionConf(TableFormat.ICEBERG.sessionConf(
        Map.of(TableFormat.EXTENSIONS, "com.example.Ext, io.delta.sql.DeltaSparkSessionExtension")));
    assertEquals("com.example.Ext,io.delta.sql.DeltaSparkSessionExtension,"
        + "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions", both.get(TableFormat.EXTENSIONS));
    assertEquals("org.apache.spark.sql.delta.catalog.DeltaCatalog", both.get("spark.sql.catalog.spark_catalog"));

    Map<String, String> own = TableFormat.DELTA.sessionConf(Map.of("spark.sql.catalog.spark_catalog", "com.example.Catalog"));
    assertEquals("com.example.Catalog", own.get("spark.sql.catalog.spark_catalog"));
    assertEquals("io.delta.sql.DeltaSparkSessionExtension", own.get(TableFormat.EXTENSIONS));
    assertTrue(TableFormat.ICEBERG.sessionConf(Map.of()).keySet().stream().noneMatch(k -> k.startsWith("spark.sql.catalog.")),
        "the Iceberg catalog is the user's");
  }
}
