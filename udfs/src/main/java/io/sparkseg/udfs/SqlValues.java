package io.sparkseg.udfs;

import io.sparkseg.compat.ScalaApi;
import io.sparkseg.core.mask.Rle;
import io.sparkseg.tables.Structs;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Conversions between the SQL values the functions see (rows, Scala sequences, numbers) and core
 * types, with errors that name the function and what is wrong with the value.
 */
final class SqlValues {
  private SqlValues() {}

  /** {@link Structs#MASK} with nullable fields: the aggregates' input. */
  static final StructType MASK_INPUT = Structs.nullable(Structs.MASK);

  /** Polygons: a list of flat {@code [x1, y1, x2, y2, ...]} lists. */
  static final DataType POLYGONS =
      DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.DoubleType, false), false);

  /**
   * A mask value as an {@link Rle}. Accepts the job's {@code struct<height, width, counts>} and
   * COCO's RLE dict as Spark reads it from JSON, {@code struct<counts, size array>}; {@code counts}
   * may be the compressed string or the uncompressed list of run lengths.
   *
   * @return null for a null value
   * @throws IllegalArgumentException naming {@code fn} if the value is not a valid RLE
   */
  static Rle mask(String fn, String arg, Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof Row row)) {
      throw new IllegalArgumentException(fn + ": " + arg + " must be a mask struct<height int, width int, counts string>,"
          + " got " + value.getClass().getSimpleName());
    }
    long h;
    long w;
    Object counts;
    StructType schema = row.schema();
    if (schema != null && hasField(schema, "size")) {
      Object size = row.get(schema.fieldIndex("size"));
      List<Object> s = size == null ? null : list(size);
      if (s == null || s.size() != 2 || s.get(0) == null || s.get(1) == null) {
        throw new IllegalArgumentException(fn + ": " + arg + ".size must be [height, width], got " + s);
      }
      h = ((Number) s.get(0)).longValue();
      w = ((Number) s.get(1)).longValue();
      counts = hasField(schema, Structs.COUNTS) ? row.get(schema.fieldIndex(Structs.COUNTS)) : null;
    } else {
      if (row.length() < 3) {
        throw new IllegalArgumentException(fn + ": " + arg + " must be a mask struct<height int, width int, counts string>,"
            + " got a struct with " + row.length() + " fields");
      }
      int ih = index(schema, Structs.HEIGHT, 0);
      int iw = index(schema, Structs.WIDTH, 1);
      int ic = index(schema, Structs.COUNTS, 2);
      Object oh = row.get(ih);
      Object ow = row.get(iw);
      if (!(oh instanceof Number) || !(ow instanceof Number)) {
        throw new IllegalArgumentException(fn + ": " + arg + " has no size: height=" + oh + ", width=" + ow);
      }
      h = ((Number) oh).longValue();
      w = ((Number) ow).longValue();
      counts = row.get(ic);
    }
    if (h < 0 || w < 0 || h * w > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(fn + ": " + arg + " has an invalid size " + h + "x" + w);
    }
    if (counts == null) {
      throw new IllegalArgumentException(fn + ": " + arg + ".counts is null (mask " + h + "x" + w + ")");
    }
    try {
      if (counts instanceof String str) {
        return Rle.fromCompressedString((int) h, (int) w, str);
      }
      List<Object> runs = list(counts);
      long[] c = new long[runs.size()];
      for (int i = 0; i < c.length; i++) {
        Object o = runs.get(i);
        if (!(o instanceof Number n)) {
          throw new IllegalArgumentException("run " + i + " is " + o);
        }
        c[i] = n.longValue();
      }
      return Rle.fromUncompressed((int) h, (int) w, c);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(fn + ": " + arg + " is not a valid COCO RLE for a " + h + "x" + w
          + " mask: " + e.getMessage() + " (counts " + abbreviate(String.valueOf(counts)) + ")", e);
    }
  }

  /** The index of field {@code name} in {@code schema}, or {@code position} when the row has no such field. */
  private static int index(StructType schema, String name, int position) {
    return schema != null && hasField(schema, name) ? schema.fieldIndex(name) : position;
  }

  private static boolean hasField(StructType schema, String name) {
    for (String f : schema.fieldNames()) {
      if (f.equals(name)) {
        return true;
      }
    }
    return false;
  }

  static String abbreviate(String s) {
    return s.length() <= 60 ? "'" + s + "'" : "'" + s.substring(0, 57) + "...' (" + s.length() + " chars)";
  }

  /** An {@link Rle} as a mask struct row. */
  static Row row(Rle r) {
    return RowFactory.create(r.height(), r.width(), r.toCompressedString());
  }

  /** A Scala sequence (or Java list/array) as a Java list; null for null. */
  @SuppressWarnings("unchecked")
  static List<Object> list(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof scala.collection.Seq<?> s) {
      return (List<Object>) ScalaApi.asJava(s);
    }
    if (value instanceof List<?> l) {
      return (List<Object>) l;
    }
    if (value instanceof Object[] a) {
      return java.util.Arrays.asList(a);
    }
    throw new IllegalArgumentException("expected an array, got " + value.getClass().getSimpleName());
  }

  /** A non-null array value as a list; an error naming {@code fn} and what {@code arg} must be otherwise. */
  private static List<Object> list(String fn, String arg, Object value, String mustBe) {
    try {
      return list(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(fn + ": " + arg + " must be " + mustBe + ", got "
          + value.getClass().getSimpleName());
    }
  }

  /**
   * A box as {@code [x, y, w, h]}: the job's {@code struct<x, y, width, height>} or a COCO {@code
   * [x, y, w, h]} array. Null for null.
   */
  static double[] box(String fn, String arg, Object value) {
    if (value == null) {
      return null;
    }
    double[] b = new double[4];
    if (value instanceof Row row) {
      StructType schema = row.schema();
      String[] names = Structs.BBOX.fieldNames();
      if (row.length() != 4) {
        throw new IllegalArgumentException(fn + ": " + arg + " must be a box struct<x, y, width, height>, got "
            + row.length() + " fields");
      }
      for (int i = 0; i < 4; i++) {
        b[i] = number(fn, arg + "." + names[i], row.get(index(schema, names[i], i)));
      }
      return b;
    }
    List<Object> l = list(fn, arg, value, "a box struct<x, y, width, height> or an array [x, y, w, h]");
    if (l.size() != 4) {
      throw new IllegalArgumentException(fn + ": " + arg + " must have 4 numbers [x, y, w, h], got " + l.size());
    }
    for (int i = 0; i < 4; i++) {
      b[i] = number(fn, arg + "[" + i + "]", l.get(i));
    }
    return b;
  }

  static double number(String fn, String arg, Object o) {
    if (o instanceof Number n) {
      return n.doubleValue();
    }
    throw new IllegalArgumentException(fn + ": " + arg + " must be a number, got " + o);
  }

  /** A box as the bbox struct row. */
  static Row boxRow(double[] b) {
    return RowFactory.create(b[0], b[1], b[2], b[3]);
  }

  /**
   * Keypoints as flat {@code [x0, y0, v0, ...]}: an array of structs whose first three fields are
   * x, y and a score/visibility (the job's keypoints column), or a flat COCO number array.
   */
  static double[] keypoints(String fn, String arg, Object value) {
    if (value == null) {
      return null;
    }
    List<Object> l = list(fn, arg, value, "an array of struct<x, y, score> or a flat [x1, y1, v1, ...] array");
    if (!l.isEmpty() && l.get(0) instanceof Row) {
      double[] out = new double[3 * l.size()];
      for (int i = 0; i < l.size(); i++) {
        Object o = l.get(i);
        if (!(o instanceof Row r) || r.length() < 3) {
          throw new IllegalArgumentException(fn + ": " + arg + "[" + i + "] must be a struct<x, y, score>, got " + o);
        }
        out[3 * i] = number(fn, arg + "[" + i + "].x", r.get(0));
        out[3 * i + 1] = number(fn, arg + "[" + i + "].y", r.get(1));
        out[3 * i + 2] = number(fn, arg + "[" + i + "].score", r.get(2));
      }
      return out;
    }
    if (l.size() % 3 != 0) {
      throw new IllegalArgumentException(fn + ": " + arg + " has " + l.size()
          + " numbers; a flat keypoint array needs x, y, v triples");
    }
    double[] out = new double[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = number(fn, arg + "[" + i + "]", l.get(i));
    }
    return out;
  }

  /** A numeric array as doubles (null for null). */
  static double[] doubles(String fn, String arg, Object value) {
    if (value == null) {
      return null;
    }
    List<Object> l = list(value);
    double[] out = new double[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = number(fn, arg + "[" + i + "]", l.get(i));
    }
    return out;
  }

  /** Polygons (array of flat xy arrays) as Java arrays. */
  static List<double[]> polygons(String fn, String arg, Object value) {
    if (value == null) {
      return null;
    }
    List<Object> l = list(value);
    List<double[]> out = new ArrayList<>(l.size());
    for (int i = 0; i < l.size(); i++) {
      if (l.get(i) == null) {
        throw new IllegalArgumentException(fn + ": " + arg + "[" + i + "] is null");
      }
      out.add(doubles(fn, arg + "[" + i + "]", l.get(i)));
    }
    return out;
  }
}
