package io.sparkseg.udfs;

import org.apache.spark.sql.SparkSessionExtensions;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * Adds sparkseg's SQL functions ({@link SparksegFunctions}) to every session: {@code --conf
 * spark.sql.extensions=io.sparkseg.udfs.SparksegExtensions}.
 */
public final class SparksegExtensions extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {
  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    for (SparksegFunctions.Definition d : SparksegFunctions.definitions()) {
      extensions.injectFunction(SparksegFunctions.description(d));
    }
    return BoxedUnit.UNIT;
  }
}
