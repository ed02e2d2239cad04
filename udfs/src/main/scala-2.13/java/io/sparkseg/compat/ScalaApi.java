package io.sparkseg.compat;

import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.catalyst.expressions.Expression;
import scala.Function1;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * Scala collections from Java, for Scala 2.13 (where Spark's Seq is scala.collection.immutable.Seq
 * and the converters are scala.jdk). Scala 2.12's twin is in src/main/scala-2.12.
 */
public final class ScalaApi {
  private ScalaApi() {}

  /** A Scala sequence as a Java list (a view). */
  public static <T> List<T> asJava(scala.collection.Seq<T> s) {
    return CollectionConverters.asJava(s);
  }

  /** A Scala map as a Java map (a view). */
  public static <K, V> java.util.Map<K, V> asJava(scala.collection.Map<K, V> m) {
    return CollectionConverters.asJava(m);
  }

  /** A Java list as an immutable Scala list (a Seq wherever Spark takes one, on either Scala). */
  public static <T> scala.collection.immutable.List<T> asScala(List<T> l) {
    return CollectionConverters.asScala(l).toList();
  }

  /** A SQL function builder as FunctionRegistry and SparkSessionExtensions take one. */
  public static Function1<Seq<Expression>, Expression> functionBuilder(Function<List<Expression>, Expression> f) {
    return new AbstractFunction1<>() {
      @Override
      public Expression apply(Seq<Expression> args) {
        return f.apply(CollectionConverters.asJava(args));
      }
    };
  }
}
