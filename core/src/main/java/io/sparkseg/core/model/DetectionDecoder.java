package io.sparkseg.core.model;

import io.sparkseg.core.mask.GridSampleMaskPaster;
import io.sparkseg.core.mask.MaskPaster;
import io.sparkseg.core.mask.PastedMask;
import io.sparkseg.core.result.BoundingBox;
import io.sparkseg.core.result.ImageResult;
import io.sparkseg.core.result.Instance;
import io.sparkseg.core.result.Keypoints;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a batch's {@link RawDetections} into one {@link ImageResult} per image: drops
 * detections under the score threshold, maps boxes and keypoints back to original
 * coordinates the way torchvision's postprocess does (per-axis float32 ratios), pastes each
 * mask straight into COCO RLE (into the box enlarged by the bundle's mask box scale), scores the
 * mask (see {@link Instance#maskScore()}) and attaches keypoints only to keypoint categories. A bundle whose
 * {@code output.postprocess} is Detectron2's gets Detectron2's clipping and mask paste ({@link Postprocess}).
 */
public final class DetectionDecoder {
  private final ModelBundle bundle;

  public DetectionDecoder(ModelBundle bundle) {
    this.bundle = bundle;
  }

  public List<ImageResult> decode(RawDetections raw, PredictOptions options) {
    int n = raw.images();
    List<List<Instance>> perImage = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      perImage.add(new ArrayList<>());
    }
    int m = bundle.maskResolution();
    int k = bundle.numKeypoints();
    // torchvision sorts detections by score within each image; keep that order
    for (int d = 0; d < raw.count(); d++) {
      float score = raw.scores()[d];
      if (score < options.scoreThreshold()) {
        continue;
      }
      int img = (int) raw.imageIndex()[d];
      if (img < 0 || img >= n) {
        throw new IllegalStateException("model returned image_index " + img + " for a batch of " + n);
      }
      int width = raw.originalWidths()[img];
      int height = raw.originalHeights()[img];
      float rw = (float) width / raw.resizedWidths()[img];
      float rh = (float) height / raw.resizedHeights()[img];
      float[] b = raw.boxes();
      float x1 = b[4 * d] * rw;
      float y1 = b[4 * d + 1] * rh;
      float x2 = b[4 * d + 2] * rw;
      float y2 = b[4 * d + 3] * rh;
      if (bundle.postprocess() == Postprocess.DETECTRON2) {
        // detector_postprocess: boxes clipped to the image once scaled, empty ones dropped
        x1 = Math.min(Math.max(x1, 0f), width);
        y1 = Math.min(Math.max(y1, 0f), height);
        x2 = Math.min(Math.max(x2, 0f), width);
        y2 = Math.min(Math.max(y2, 0f), height);
        if (!(x2 > x1 && y2 > y1)) {
          continue;
        }
      }
      Category category = bundle.categoryForLabel((int) raw.labels()[d]);
      PastedMask mask = pasteMask(raw.maskProbs(), d * m * m, m, x1, y1, x2, y2, height, width,
          options.maskThreshold());
      Keypoints keypoints = null;
      if (category.hasKeypoints() && k > 0) {
        float[] xys = new float[3 * k];
        for (int j = 0; j < k; j++) {
          int at = (d * k + j) * 3;
          xys[3 * j] = raw.keypoints()[at] * rw;
          xys[3 * j + 1] = raw.keypoints()[at + 1] * rh;
          xys[3 * j + 2] = raw.keypointScores()[d * k + j];
        }
        keypoints = new Keypoints(xys);
      }
      perImage.get(img).add(new Instance(category.id(), category.name(), score,
          BoundingBox.fromCorners(x1, y1, x2, y2), mask.rle(), score * mask.foregroundMean(), keypoints));
    }
    List<ImageResult> results = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      results.add(new ImageResult(raw.originalWidths()[i], raw.originalHeights()[i], perImage.get(i)));
    }
    return results;
  }

  private PastedMask pasteMask(float[] probs, int offset, int m, float x1, float y1, float x2, float y2,
      int height, int width, float threshold) {
    if (bundle.postprocess() == Postprocess.DETECTRON2) {
      return GridSampleMaskPaster.paste(probs, offset, m, x1, y1, x2, y2, height, width, threshold);
    }
    float scale = bundle.maskBoxScale();
    if (scale == 1.0f) {
      return MaskPaster.paste(probs, offset, m, x1, y1, x2, y2, height, width, threshold);
    }
    // the centre and half-extent in float32, as the exporter's scale_boxes computes them
    float cx = (x1 + x2) * 0.5f;
    float cy = (y1 + y2) * 0.5f;
    float hw = (x2 - x1) * (0.5f * scale);
    float hh = (y2 - y1) * (0.5f * scale);
    return MaskPaster.paste(probs, offset, m, cx - hw, cy - hh, cx + hw, cy + hh, height, width, threshold);
  }
}
