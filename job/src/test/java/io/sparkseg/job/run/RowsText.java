package io.sparkseg.job.run;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Rows as sorted text: two tables compare equal whatever order their rows come in. */
final class RowsText {
  private RowsText() {}

  static List<String> of(Dataset<Row> rows) {
    List<String> out = new ArrayList<>();
    for (Row r : rows.collectAsList()) {
      out.add(r.toString());
    }
    out.sort(null);
    return out;
  }
}
