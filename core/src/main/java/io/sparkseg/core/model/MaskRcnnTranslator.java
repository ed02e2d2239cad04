package io.sparkseg.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.nio.FloatBuffer;

/**
 * The boundary between Java and the network, and nothing else: an {@link ImageBatch} becomes
 * the model's {@code (images, sizes)} input (plus the optional {@code flip} switch and {@code min_score}),
 * and its seven outputs are shape-checked against the bundle's contract and copied out as {@link RawDetections}.
 * Everything that can run off the inference thread (mask pasting, RLE) lives in {@link DetectionDecoder}.
 */
public final class MaskRcnnTranslator implements NoBatchifyTranslator<MaskRcnnTranslator.Input, RawDetections> {
  private final ModelBundle bundle;
  private final Boolean flip;
  private final boolean flips;

  /**
   * A batch and the lowest score its caller keeps: with a model that takes {@code min_score}, detections under it
   * skip the mask and keypoint heads (0 keeps everything the model finds).
   */
  public record Input(ImageBatch batch, float minScore) {}

  /**
   * {@code flip}: the value of the model's optional flip input, or null to leave it out; {@code flips}: whether the
   * model flips with that setting (the value passed when {@code min_score}, which comes after it, is passed).
   */
  public MaskRcnnTranslator(ModelBundle bundle, Boolean flip, boolean flips) {
    this.bundle = bundle;
    this.flip = flip;
    this.flips = flips;
  }

  @Override
  public NDList processInput(TranslatorContext ctx, Input input) {
    ImageBatch batch = input.batch();
    ctx.setAttachment("batch", batch);
    NDManager manager = ctx.getNDManager();
    NDArray images = manager.create(FloatBuffer.wrap(batch.pixels()),
        new Shape(batch.size(), 3, batch.height(), batch.width()));
    NDArray sizes = manager.create(batch.sizes(), new Shape(batch.size(), 2));
    if (input.minScore() > 0f && bundle.takesMinScore()) {
      return new NDList(images, sizes, manager.create(new boolean[] {flips}),
          manager.create(new float[] {input.minScore()}));
    }
    return flip == null ? new NDList(images, sizes)
        : new NDList(images, sizes, manager.create(new boolean[] {flip}));
  }

  @Override
  public RawDetections processOutput(TranslatorContext ctx, NDList out) {
    ImageBatch batch = (ImageBatch) ctx.getAttachment("batch");
    String where = "model " + bundle.name() + " " + bundle.version();
    if (out.size() != ModelBundle.OUTPUT_NAMES.size()) {
      throw new InvalidBundleException(where + ": returned " + out.size() + " outputs, its bundle declares "
          + ModelBundle.OUTPUT_NAMES.size() + " " + ModelBundle.OUTPUT_NAMES);
    }
    long n = out.get(0).getShape().get(0);
    int m = bundle.maskResolution();
    int k = bundle.numKeypoints();
    Shape[] expected = {new Shape(n, 4), new Shape(n), new Shape(n), new Shape(n, 1, m, m),
        new Shape(n, k, 3), new Shape(n, k), new Shape(n)};
    for (int i = 0; i < expected.length; i++) {
      if (!out.get(i).getShape().equals(expected[i])) {
        throw new InvalidBundleException(where + ": output '" + ModelBundle.OUTPUT_NAMES.get(i) + "' has shape "
            + out.get(i).getShape() + ", the contract says " + expected[i]);
      }
    }
    int images = batch.size();
    int[] ow = new int[images];
    int[] oh = new int[images];
    int[] rw = new int[images];
    int[] rh = new int[images];
    for (int i = 0; i < images; i++) {
      ow[i] = batch.originalWidth(i);
      oh[i] = batch.originalHeight(i);
      rw[i] = batch.resizedWidth(i);
      rh[i] = batch.resizedHeight(i);
    }
    return new RawDetections(floats(out.get(0)), floats(out.get(1)), longs(out.get(2)), floats(out.get(3)),
        floats(out.get(4)), floats(out.get(5)), longs(out.get(6)), ow, oh, rw, rh);
  }

  private static float[] floats(NDArray a) {
    return a.getDataType() == DataType.FLOAT32 ? a.toFloatArray() : a.toType(DataType.FLOAT32, false).toFloatArray();
  }

  private static long[] longs(NDArray a) {
    return a.getDataType() == DataType.INT64 ? a.toLongArray() : a.toType(DataType.INT64, false).toLongArray();
  }
}
