package io.sparkseg.core.coco.errors;

import io.sparkseg.core.coco.CocoDataset;
import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoJsonReader;
import io.sparkseg.core.coco.eval.CocoEvaluator;
import io.sparkseg.core.coco.eval.IouType;
import io.sparkseg.core.coco.eval.LoadRes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Hand-made cases: 100x100 images, categories 1 and 2, ground-truth boxes {@code [0, 0, 10, 10]}
 * so that a detection {@code [0, 0, w, 10]} has IoU {@code w / 10} with one.
 */
final class ErrorCases {
  private final StringBuilder anns = new StringBuilder();
  private final List<CocoDetection> dts = new ArrayList<>();
  private int images = 1;
  private int annId = 1;

  ErrorCases images(int n) {
    images = n;
    return this;
  }

  /** A ground truth {@code [0, 0, 10, 10]} of {@code cat} in {@code image}. */
  ErrorCases gt(long image, int cat) {
    return gt(image, cat, false);
  }

  ErrorCases gt(long image, int cat, boolean crowd) {
    anns.append(anns.length() == 0 ? "" : ",").append("{\"id\":").append(annId++).append(",\"image_id\":").append(image)
        .append(",\"category_id\":").append(cat).append(",\"bbox\":[0,0,10,10],\"area\":100,\"iscrowd\":")
        .append(crowd ? 1 : 0).append(",\"segmentation\":[[0,0,10,0,10,10,0,10]]}");
    return this;
  }

  /** A detection {@code [0, 0, 10 * iou, 10]}: IoU {@code iou} with a ground truth of the image. */
  ErrorCases dt(long image, int cat, double iou, double score) {
    dts.add(new CocoDetection(image, cat, score, new double[] {0, 0, 10 * iou, 10}, null, null));
    return this;
  }

  /** A detection far from every ground truth. */
  ErrorCases far(long image, int cat, double score) {
    dts.add(new CocoDetection(image, cat, score, new double[] {50, 50, 10, 10}, null, null));
    return this;
  }

  CocoDataset dataset() {
    StringBuilder s = new StringBuilder("{\"images\":[");
    for (int i = 1; i <= images; i++) {
      s.append(i > 1 ? "," : "").append("{\"id\":").append(i).append(",\"width\":100,\"height\":100,\"file_name\":\"")
          .append(i).append(".jpg\"}");
    }
    s.append("],\"categories\":[{\"id\":1,\"name\":\"a\"},{\"id\":2,\"name\":\"b\"}],\"annotations\":[")
        .append(anns).append("]}");
    try {
      return CocoJsonReader.readDataset(new ByteArrayInputStream(s.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  ErrorSummary analyse() {
    CocoDataset gt = dataset();
    return ErrorEvaluator.analyse(gt, LoadRes.apply(gt, dts, LoadRes.AreaSource.AUTO),
        CocoEvaluator.defaultParams(gt, IouType.BBOX));
  }
}
