package io.sparkseg.udfs;

import io.sparkseg.compat.ScalaApi;
import org.apache.spark.sql.SparkSessionExtensions;
import scala.Tuple3;
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
      extensions.injectFunction(new Tuple3<>(SparksegFunctions.identifier(d), SparksegFunctions.info(d),
          ScalaApi.functionBuilder(a -> SparksegFunctions.build(d, a))));
    }
    return BoxedUnit.UNIT;
  }
}
