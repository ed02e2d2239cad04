package io.sparkseg.compat;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.classic.ClassicConversions$;
import org.apache.spark.sql.classic.ColumnNodeToExpressionConverter$;
import org.apache.spark.sql.classic.ExpressionUtils$;

/**
 * What sparkseg needs from Spark that differs between Spark lines, for Spark 4.0: the session
 * state and catalyst expressions live behind the classic (non-Connect) implementation classes.
 * Spark 3.5's twin is in src/main/spark-3.5; the build picks one by its Spark line.
 */
public final class SparkApi {
  private SparkApi() {}

  /** The session's function registry (where temporary SQL functions go). */
  public static FunctionRegistry functionRegistry(SparkSession spark) {
    return ClassicConversions$.MODULE$.castToImpl(spark).sessionState().functionRegistry();
  }

  /** A catalyst expression as a column. */
  public static Column column(Expression e) {
    return ExpressionUtils$.MODULE$.column(e);
  }

  /** A column as a catalyst expression (unresolved). */
  public static Expression expression(Column c) {
    return ColumnNodeToExpressionConverter$.MODULE$.apply(c.node());
  }
}
