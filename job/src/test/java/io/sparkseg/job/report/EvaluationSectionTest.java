package io.sparkseg.job.report;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.job.evaluate.EvalOutputs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The report's evaluation section shows every iouType of eval_summary, boundary as segm. */
class EvaluationSectionTest {

  @Test
  void boundaryGetsItsCardColumnAndCurves() {
    List<ReportQueries.Stat> stats = new ArrayList<>();
    List<String> names = EvalOutputs.DET_STAT_NAMES;
    for (int i = 0; i < names.size(); i++) {
      stats.add(new ReportQueries.Stat("boundary", names.get(i), 0.25 + i / 100.0));
      stats.add(new ReportQueries.Stat("segm", names.get(i), 0.5 + i / 100.0));
    }
    List<ReportQueries.CategoryAp> perCategory = List.of(
        new ReportQueries.CategoryAp("boundary", 1, "person", 0.25, 0.5, 0.2, 0.4),
        new ReportQueries.CategoryAp("segm", 1, "person", 0.5, 0.7, 0.45, 0.6));
    List<ReportQueries.PrPoint> curves = List.of(new ReportQueries.PrPoint("boundary", 1, 0.5, 0.0, 1.0),
        new ReportQueries.PrPoint("boundary", 1, 0.5, 1.0, 0.2));
    ReportPage page = new ReportPage("t");
    page.evaluationSection();
    page.evaluation("run-a", stats, perCategory, curves, List.of());
    String html = page.finish();
    assertTrue(html.contains("boundary AP") && html.contains("segm AP"), "a card per iouType");
    assertTrue(html.contains("<th>boundary</th>"), "a column of the stats table");
    assertTrue(html.contains("<td>0.250</td>") && html.contains("<td>0.500</td>"), "the APs");
    assertTrue(html.contains("<td>boundary</td><td>person</td>"), "per category");
    assertTrue(html.contains("boundary, IoU 0.50"), "its PR curve");
  }
}
