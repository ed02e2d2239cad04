package io.sparkseg.udfs;

import io.sparkseg.core.mask.Rle;
import java.util.List;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Aggregator;

/**
 * The union (or intersection) of all masks in a group, e.g. all instance masks of an image. The
 * input is a mask as three columns {@code (height, width, counts)}; null masks are skipped, no
 * masks give a row of nulls (null from the SQL function), and masks of different sizes in one group are an error.
 */
public final class MaskMergeAggregator extends Aggregator<Row, MaskBuffer, Row> {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final boolean intersect;

  public MaskMergeAggregator(String name, boolean intersect) {
    this.name = name;
    this.intersect = intersect;
  }

  @Override
  public MaskBuffer zero() {
    return new MaskBuffer();
  }

  @Override
  public MaskBuffer reduce(MaskBuffer b, Row in) {
    if (in == null || in.isNullAt(0) || in.isNullAt(1) || in.isNullAt(2)) {
      return b;
    }
    Rle m;
    try {
      m = Rle.fromCompressedString(in.getInt(0), in.getInt(1), in.getString(2));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(name + ": mask is not a valid COCO RLE for a " + in.getInt(0) + "x"
          + in.getInt(1) + " mask: " + e.getMessage() + " (counts " + SqlValues.abbreviate(in.getString(2)) + ")", e);
    }
    return combine(b, m);
  }

  @Override
  public MaskBuffer merge(MaskBuffer a, MaskBuffer b) {
    if (!b.isPresent()) {
      return a;
    }
    return combine(a, new Rle(b.getHeight(), b.getWidth(), b.getCounts()));
  }

  private MaskBuffer combine(MaskBuffer b, Rle m) {
    if (!b.isPresent()) {
      set(b, m);
      return b;
    }
    if (b.getHeight() != m.height() || b.getWidth() != m.width()) {
      throw new IllegalArgumentException(name + ": masks of different sizes in one group: " + b.getHeight() + "x"
          + b.getWidth() + " and " + m.height() + "x" + m.width());
    }
    Rle cur = new Rle(b.getHeight(), b.getWidth(), b.getCounts());
    set(b, intersect ? Rle.intersection(List.of(cur, m)) : Rle.union(List.of(cur, m)));
    return b;
  }

  private static void set(MaskBuffer b, Rle m) {
    b.setPresent(true);
    b.setHeight(m.height());
    b.setWidth(m.width());
    b.setCounts(m.counts());
  }

  @Override
  public Row finish(MaskBuffer b) {
    if (!b.isPresent()) {
      return RowFactory.create(null, null, null); // made null by the SQL function (see SparksegFunctions)
    }
    return SqlValues.row(new Rle(b.getHeight(), b.getWidth(), b.getCounts()));
  }

  @Override
  public Encoder<MaskBuffer> bufferEncoder() {
    return Encoders.bean(MaskBuffer.class);
  }

  @Override
  public Encoder<Row> outputEncoder() {
    return Encoders.row(SqlValues.MASK_INPUT);
  }
}
