package io.sparkseg.job.executor;

import io.sparkseg.compat.ScalaApi;
import io.sparkseg.core.result.BoundingBox;
import io.sparkseg.core.result.Instance;
import io.sparkseg.core.result.Keypoints;
import io.sparkseg.job.fs.FileIdentity;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** Converts model results to Spark rows shaped like {@link io.sparkseg.tables.InstancesTable}. */
public final class ResultRows {
  private ResultRows() {}

  /** A row of {@link io.sparkseg.tables.InstancesTable#INSTANCE}; index is the rank within its image. */
  public static Row instance(int index, Instance in) {
    BoundingBox b = in.box();
    Row bbox = RowFactory.create(b.x(), b.y(), b.width(), b.height());
    Row mask = RowFactory.create(in.mask().height(), in.mask().width(), in.mask().toCompressedString());
    List<Row> kps = null;
    if (in.keypoints() != null) {
      Keypoints k = in.keypoints();
      kps = new ArrayList<>(k.size());
      for (int i = 0; i < k.size(); i++) {
        kps.add(RowFactory.create(k.x(i), k.y(i), k.score(i)));
      }
    }
    return RowFactory.create(index, in.categoryId(), in.categoryName(), in.score(), bbox, mask, in.mask().area(),
        in.maskScore(), kps == null ? null : seq(kps));
  }

  /** The instance rows of one image, in the model's order (highest score first). */
  public static List<Row> instances(List<Instance> instances) {
    List<Row> rows = new ArrayList<>(instances.size());
    for (int i = 0; i < instances.size(); i++) {
      rows.add(instance(i, instances.get(i)));
    }
    return rows;
  }

  /** A row of {@link io.sparkseg.tables.ImagesTable#WITH_INSTANCES}. */
  public static Row imageResult(long imageId, String path, ImageOutcome o) {
    FileIdentity f = o.file();
    return RowFactory.create(imageId, path, o.width(), o.height(), o.status().code(), o.error(),
        o.instances().size(), o.inferenceMs(), f == null ? null : f.sizeBytes(), f == null ? null : f.modifiedAt(),
        f == null ? null : f.etag(), seq(instances(o.instances())));
  }

  /** Spark's row encoder wants Scala sequences for array columns. */
  public static scala.collection.immutable.List<Row> seq(List<Row> rows) {
    return ScalaApi.asScala(rows);
  }
}
