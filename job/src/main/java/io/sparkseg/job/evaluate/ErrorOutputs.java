package io.sparkseg.job.evaluate;

import com.fasterxml.jackson.core.JsonGenerator;
import io.sparkseg.core.coco.CocoCategory;
import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.errors.ErrorSummary;
import io.sparkseg.core.coco.errors.ErrorThresholds;
import io.sparkseg.core.coco.errors.ErrorType;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The error analysis in the evaluate command's outputs: the {@code "errors"} object of an iouType
 * in the summary JSON, and the rows of the {@code eval_errors} and {@code eval_confusion} tables.
 */
final class ErrorOutputs {
  private ErrorOutputs() {}

  /**
   * Writes {@code "errors": {"iou_threshold", "background_threshold", "AP50", "dAP": {type: v},
   * "counts": {type: n}, "per_category": {id: {"AP50", "dAP", "counts"}}, "confusion": [{"gt",
   * "predicted", "count"}]}}; null in confusion is background.
   */
  static void writeJson(JsonGenerator g, ErrorSummary e) throws IOException {
    g.writeObjectFieldStart("errors");
    g.writeNumberField("iou_threshold", ErrorThresholds.FOREGROUND);
    g.writeNumberField("background_threshold", ErrorThresholds.BACKGROUND);
    g.writeNumberField("AP50", e.ap50());
    writeTypes(g, e.dAp(), e.counts());
    g.writeObjectFieldStart("per_category");
    for (ErrorSummary.CategoryErrors c : e.perCategory()) {
      g.writeObjectFieldStart(Integer.toString(c.categoryId()));
      g.writeNumberField("AP50", c.ap50());
      writeTypes(g, c.dAp(), c.counts());
      g.writeEndObject();
    }
    g.writeEndObject();
    g.writeArrayFieldStart("confusion");
    for (ErrorSummary.ConfusionCell c : e.confusion()) {
      g.writeStartObject();
      writeCategory(g, "gt", c.gtCategory());
      writeCategory(g, "predicted", c.predictedCategory());
      g.writeNumberField("count", c.count());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  /** The printed line: {@code Errors (TIDE, dAP50): Cls 0.012 Loc ... Miss ...}. */
  static String line(ErrorSummary e) {
    StringBuilder sb = new StringBuilder("Errors (TIDE, dAP at IoU=0.50):");
    for (ErrorType t : ErrorType.values()) {
      sb.append(' ').append(t.shortName()).append(' ').append(String.format(java.util.Locale.ROOT, "%.3f", e.dAp().get(t)));
    }
    return sb.toString();
  }

  private static void writeTypes(JsonGenerator g, Map<ErrorType, Double> dAp, Map<ErrorType, Long> counts)
      throws IOException {
    g.writeObjectFieldStart("dAP");
    for (ErrorType t : ErrorType.values()) {
      g.writeNumberField(t.shortName(), dAp.get(t));
    }
    g.writeEndObject();
    g.writeObjectFieldStart("counts");
    for (ErrorType t : ErrorType.values()) {
      g.writeNumberField(t.shortName(), counts.get(t));
    }
    g.writeEndObject();
  }

  private static void writeCategory(JsonGenerator g, String field, int category) throws IOException {
    if (category == ErrorSummary.BACKGROUND) {
      g.writeNullField(field);
    } else {
      g.writeNumberField(field, category);
    }
  }

  /** The eval_errors rows of one iouType: overall (null category) first, then per category. */
  static void errorRows(String type, ErrorSummary e, CocoDataset gt, String runId, List<Row> out) {
    for (ErrorType t : ErrorType.values()) {
      out.add(RowFactory.create(type, null, null, t.shortName(), e.ap50(), e.dAp().get(t), e.counts().get(t), runId));
    }
    for (ErrorSummary.CategoryErrors c : e.perCategory()) {
      for (ErrorType t : ErrorType.values()) {
        out.add(RowFactory.create(type, c.categoryId(), name(gt, c.categoryId()), t.shortName(), c.ap50(),
            c.dAp().get(t), c.counts().get(t), runId));
      }
    }
  }

  /** The eval_confusion rows of one iouType. */
  static void confusionRows(String type, ErrorSummary e, CocoDataset gt, String runId, List<Row> out) {
    for (ErrorSummary.ConfusionCell c : e.confusion()) {
      out.add(RowFactory.create(type, id(c.gtCategory()), name(gt, c.gtCategory()), id(c.predictedCategory()),
          name(gt, c.predictedCategory()), c.count(), runId));
    }
  }

  private static Integer id(int category) {
    return category == ErrorSummary.BACKGROUND ? null : category;
  }

  private static String name(CocoDataset gt, int category) {
    CocoCategory c = category == ErrorSummary.BACKGROUND ? null : gt.category(category);
    return c == null ? null : c.name();
  }
}
