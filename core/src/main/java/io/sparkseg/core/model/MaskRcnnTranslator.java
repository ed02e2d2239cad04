package io.sparkseg.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.mask.MaskPaster;
import io.sparkseg.core.mask.Rle;
import io.sparkseg.core.result.BoundingBox;
import io.sparkseg.core.result.ImageResult;
import io.sparkseg.core.result.Instance;
import io.sparkseg.core.result.Keypoints;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Pre- and post-processing for a sparkseg bundle, and nothing else: a batch of images becomes
 * the model's {@code (images, sizes)} input; the model's flat outputs become one
 * {@link ImageResult} per image in original coordinates, with masks pasted straight into RLE.
 */
public final class MaskRcnnTranslator
    implements NoBatchifyTranslator<MaskRcnnTranslator.Request, List<ImageResult>> {
  private final ModelBundle bundle;

  /** One call: the prepared batch and the thresholds to apply to its results. */
  public record Request(ImageBatch batch, PredictOptions options) {}

  public MaskRcnnTranslator(ModelBundle bundle) {
    this.bundle = bundle;
  }

  @Override
  public NDList processInput(TranslatorContext ctx, Request request) {
    ctx.setAttachment("request", request);
    ImageBatch batch = request.batch();
    NDManager manager = ctx.getNDManager();
    NDArray images = manager.create(FloatBuffer.wrap(batch.pixels()),
        new Shape(batch.size(), 3, batch.height(), batch.width()));
    NDArray sizes = manager.create(batch.sizes(), new Shape(batch.size(), 2));
    return new NDList(images, sizes);
  }

  @Override
  public List<ImageResult> processOutput(TranslatorContext ctx, NDList out) {
    Request request = (Request) ctx.getAttachment("request");
    ImageBatch batch = request.batch();
    PredictOptions options = request.options();
    ModelOutputs o = ModelOutputs.read(out, bundle);
    List<List<Instance>> perImage = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      perImage.add(new ArrayList<>());
    }
    int m = bundle.maskResolution();
    int k = bundle.numKeypoints();
    // torchvision returns detections sorted by score within each image; keep that order
    for (int d = 0; d < o.count(); d++) {
      if (o.scores[d] < options.scoreThreshold()) {
        continue;
      }
      int img = (int) o.imageIndex[d];
      if (img < 0 || img >= batch.size()) {
        throw new IllegalStateException("model returned image_index " + img + " for a batch of " + batch.size());
      }
      RgbImage image = batch.image(img);
      // torchvision resize_boxes: per-axis float32 ratios original / resized
      float rw = (float) image.width() / batch.resizedWidth(img);
      float rh = (float) image.height() / batch.resizedHeight(img);
      float x1 = o.boxes[4 * d] * rw;
      float y1 = o.boxes[4 * d + 1] * rh;
      float x2 = o.boxes[4 * d + 2] * rw;
      float y2 = o.boxes[4 * d + 3] * rh;
      Category category = bundle.categoryForLabel((int) o.labels[d]);
      Rle mask = MaskPaster.paste(o.maskProbs, d * m * m, m, x1, y1, x2, y2,
          image.height(), image.width(), options.maskThreshold());
      Keypoints keypoints = null;
      if (category.hasKeypoints() && k > 0) {
        float[] xys = new float[3 * k];
        for (int j = 0; j < k; j++) {
          xys[3 * j] = o.keypoints[(d * k + j) * 3] * rw;
          xys[3 * j + 1] = o.keypoints[(d * k + j) * 3 + 1] * rh;
          xys[3 * j + 2] = o.keypointScores[d * k + j];
        }
        keypoints = new Keypoints(xys);
      }
      perImage.get(img).add(new Instance(category.id(), category.name(), o.scores[d],
          BoundingBox.fromCorners(x1, y1, x2, y2), mask, keypoints));
    }
    List<ImageResult> results = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      RgbImage image = batch.image(i);
      results.add(new ImageResult(image.width(), image.height(), perImage.get(i)));
    }
    return results;
  }

  /** The model's seven outputs copied to Java arrays, shapes checked against the bundle. */
  static final class ModelOutputs {
    float[] boxes;
    float[] scores;
    long[] labels;
    float[] maskProbs;
    float[] keypoints;
    float[] keypointScores;
    long[] imageIndex;

    int count() {
      return scores.length;
    }

    static ModelOutputs read(NDList out, ModelBundle bundle) {
      String where = "model " + bundle.name() + " " + bundle.version();
      if (out.size() != ModelBundle.OUTPUT_NAMES.size()) {
        throw new InvalidBundleException(where + ": returned " + out.size() + " outputs, its bundle declares "
            + ModelBundle.OUTPUT_NAMES.size() + " " + ModelBundle.OUTPUT_NAMES);
      }
      NDArray boxes = out.get(0);
      long n = boxes.getShape().get(0);
      int m = bundle.maskResolution();
      int k = bundle.numKeypoints();
      expectShape(where, "boxes", boxes, new Shape(n, 4));
      expectShape(where, "scores", out.get(1), new Shape(n));
      expectShape(where, "labels", out.get(2), new Shape(n));
      expectShape(where, "mask_probs", out.get(3), new Shape(n, 1, m, m));
      expectShape(where, "keypoints", out.get(4), new Shape(n, k, 3));
      expectShape(where, "keypoint_scores", out.get(5), new Shape(n, k));
      expectShape(where, "image_index", out.get(6), new Shape(n));
      ModelOutputs o = new ModelOutputs();
      o.boxes = floats(boxes);
      o.scores = floats(out.get(1));
      o.labels = longs(out.get(2));
      o.maskProbs = floats(out.get(3));
      o.keypoints = floats(out.get(4));
      o.keypointScores = floats(out.get(5));
      o.imageIndex = longs(out.get(6));
      return o;
    }

    private static void expectShape(String where, String name, NDArray array, Shape expected) {
      if (!array.getShape().equals(expected)) {
        throw new InvalidBundleException(where + ": output '" + name + "' has shape " + array.getShape()
            + ", the contract says " + expected);
      }
    }

    private static float[] floats(NDArray a) {
      return a.getDataType() == DataType.FLOAT32 ? a.toFloatArray() : a.toType(DataType.FLOAT32, false).toFloatArray();
    }

    private static long[] longs(NDArray a) {
      return a.getDataType() == DataType.INT64 ? a.toLongArray() : a.toType(DataType.INT64, false).toLongArray();
    }
  }
}
