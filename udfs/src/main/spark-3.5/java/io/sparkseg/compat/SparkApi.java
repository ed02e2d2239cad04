package io.sparkseg.compat;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry;
import org.apache.spark.sql.catalyst.expressions.Expression;

/**
 * What sparkseg needs from Spark that differs between Spark lines, for Spark 3.5: the session
 * state is on SparkSession itself and a column wraps its catalyst expression. Spark 4.0's twin is
 * in src/main/spark-4.0; the build picks one by its Spark line.
 */
public final class SparkApi {
  private SparkApi() {}

  /** The session's function registry (where temporary SQL functions go). */
  public static FunctionRegistry functionRegistry(SparkSession spark) {
    return spark.sessionState().functionRegistry();
  }

  /** A catalyst expression as a column. */
  public static Column column(Expression e) {
    return new Column(e);
  }

  /** A column as a catalyst expression (unresolved). */
  public static Expression expression(Column c) {
    return c.expr();
  }
}
