package io.sparkseg.core.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.translate.TranslateException;
import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.result.ImageResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A loaded Mask R-CNN bundle on one device (CPU or a GPU), safe to share between threads:
 * load it once per JVM and call {@link #predict} from any task thread. Execution goes through
 * DJL predictors (one per concurrent caller, pooled); pre/post-processing lives in
 * {@link MaskRcnnTranslator}.
 */
public final class MaskRcnnModel implements AutoCloseable {
  static {
    // Never let DJL reach for the network: natives come from the pytorch-native-cpu jar.
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
  }

  private final ModelBundle bundle;
  private final Model model;
  private final Device device;
  private final Precision precision;
  private final DetectionDecoder decoder;
  /** The model's optional flip input, or null to leave it out (the bundle's default). */
  private final Boolean flipInput;
  private final boolean flips;
  private final ConcurrentLinkedQueue<Predictor<MaskRcnnTranslator.Input, RawDetections>> idle =
      new ConcurrentLinkedQueue<>();
  private final List<Predictor<MaskRcnnTranslator.Input, RawDetections>> all = new ArrayList<>();
  private volatile boolean closed;

  private MaskRcnnModel(ModelBundle bundle, Model model, Device device, Precision precision, FlipTest flip,
      Boolean flipInput) {
    this.bundle = bundle;
    this.model = model;
    this.device = device;
    this.precision = precision;
    this.decoder = new DetectionDecoder(bundle);
    this.flipInput = flipInput;
    this.flips = flip.flips(bundle);
  }

  /** {@link #load(ModelBundle, String, FlipTest)} with the bundle's own flip setting. */
  public static MaskRcnnModel load(ModelBundle bundle, String device) {
    return load(bundle, device, FlipTest.AUTO);
  }

  /**
   * Loads the bundle's TorchScript file with DJL's PyTorch engine on {@code device} ("cpu",
   * "gpu", "gpu:1", or a bare GPU ordinal such as "0") and checks, by running it once on a
   * blank image, that its outputs follow the bundle's contract. A file whose code assigns module
   * attributes is refused first ({@link ModuleStateWrites}): the loaded module is shared by threads.
   *
   * {@code flip} says whether the mask and keypoint heads also run on the mirrored image.
   *
   * @throws InvalidBundleException when the file cannot be loaded, writes module state or breaks the contract, or
   *     when {@code flip} asks for a switch the bundle does not have
   */
  public static MaskRcnnModel load(ModelBundle bundle, String device, FlipTest flip) {
    return load(bundle, device, flip, Precision.FP32);
  }

  /**
   * {@link #load(ModelBundle, String, FlipTest)} of the bundle's model in {@code precision} ({@link
   * ModelBundle#modelFile(Precision)}). A GPU the engine cannot run on fails before loading, and a model that
   * lands elsewhere than the asked GPU fails after ({@link EngineDevice}): never a silent CPU fallback.
   */
  public static MaskRcnnModel load(ModelBundle bundle, String device, FlipTest flip, Precision precision) {
    MaskRcnnModel loaded = open(bundle, parseDevice(device), flip, precision);
    try {
      RgbImage blank = new RgbImage(64, 48, new byte[64 * 48 * 3]);
      // More passes, alone, at two more sizes: TorchScript profiles and re-optimises a method's graph
      // over its first runs; that one-off work happens here rather than concurrently in the first tasks.
      // With min_score they also check the four-input call that runs use at their default threshold.
      List<ImageBatch> warmUps = new ArrayList<>();
      for (int i = 0; i < WARM_UP_PASSES; i++) {
        warmUps.add(ImageBatch.of(List.of(new RgbImage(48 + 16 * i, 64, new byte[(48 + 16 * i) * 64 * 3])),
            bundle.resize()));
      }
      loaded.checkContract(ImageBatch.of(List.of(blank), bundle.resize()), warmUps);
    } catch (RuntimeException e) {
      loaded.close();
      throw e;
    }
    CHECKED.add(checkKey(bundle, loaded.flipInput, precision));
    return loaded;
  }

  /**
   * Checks, on the CPU, what {@link #load} checks, and frees the model again: for a driver that validates a
   * bundle it will not run. The passes run on a small image as it is (no resize: the contract does not depend
   * on the size), in each call form a run makes. A bundle that passed this or {@link #load} in this JVM with the
   * same flip input is not checked again (its digest pins its content).
   *
   * @throws InvalidBundleException as {@link #load} does
   */
  public static void verify(ModelBundle bundle, FlipTest flip) {
    verify(bundle, flip, Precision.FP32);
  }

  /** {@link #verify(ModelBundle, FlipTest)} of the bundle's model in {@code precision}. */
  public static void verify(ModelBundle bundle, FlipTest flip, Precision precision) {
    Boolean flipInput = flip.input(bundle);
    if (CHECKED.contains(checkKey(bundle, flipInput, precision))) {
      return;
    }
    try (MaskRcnnModel m = open(bundle, Device.cpu(), flip, precision)) {
      ImageBatch small = ImageBatch.of(List.of(new RgbImage(64, 48, new byte[64 * 48 * 3])), new ResizeRule(48, 64));
      // passes that run once: TorchScript's profiling and fusion compiling would cost more than they save
      // (the setting is the calling thread's; the same outputs either way)
      JniUtils.setGraphExecutorOptimize(false);
      try {
        m.checkContract(small, bundle.takesMinScore() ? List.of(small) : List.of());
      } finally {
        JniUtils.setGraphExecutorOptimize(true);
      }
    }
    CHECKED.add(checkKey(bundle, flipInput, precision));
  }

  /** Bundles (digest and flip input) whose model passed the checks in this JVM. */
  private static final Set<String> CHECKED = ConcurrentHashMap.newKeySet();

  private static String checkKey(ModelBundle bundle, Boolean flipInput, Precision precision) {
    return bundle.digest().descriptorSha256() + "|flip-" + flipInput + "|" + precision.id();
  }

  /** Loads the file on {@code dev} after the checks that need no forward pass; the contract is not checked yet. */
  private static MaskRcnnModel open(ModelBundle bundle, Device dev, FlipTest flip, Precision precision) {
    Boolean flipInput = flip.input(bundle); // an impossible flip setting fails before libtorch loads anything
    Path modelFile = bundle.modelFile(precision);
    EngineDevice.checkAvailable(dev);
    List<String> writes = ModuleStateWrites.find(modelFile);
    if (!writes.isEmpty()) {
      throw new InvalidBundleException(modelFile + ": its code assigns module attributes " + writes
          + ", which is unsafe when inference threads share the loaded module; re-export it with sparkseg's "
          + "exporter, which replaces torchvision's stateful parts (`python3 -m sparkseg_models.export rebundle` "
          + "for a sparkseg-trained bundle, `export torchvision` for a converted checkpoint; see models/README.md)");
    }
    Model model = Model.newInstance(bundle.name(), dev, "PyTorch");
    Device actual;
    try {
      String file = modelFile.getFileName().toString();
      model.load(modelFile.getParent(), file, Map.of("mapLocation", "true"));
    } catch (IOException | MalformedModelException | RuntimeException e) {
      model.close();
      throw new InvalidBundleException(modelFile + ": libtorch cannot load it as a TorchScript model: "
          + rootMessage(e), e);
    }
    try {
      actual = EngineDevice.of(model, dev);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
    return new MaskRcnnModel(bundle, model, actual, precision, flip, flipInput);
  }

  /** Forward passes after the contract check, on the loading thread (see checkContract). */
  static final int WARM_UP_PASSES = 2;

  /**
   * One pass on {@code first} in the plain call form, decoded; then each of {@code withMinScore} in the call form
   * runs use at the bundle's default score threshold (four inputs with min_score).
   */
  private void checkContract(ImageBatch first, List<ImageBatch> withMinScore) {
    try {
      decoder.decode(infer(first, 0f), new PredictOptions(0f, bundle.defaultOptions().maskThreshold()));
      // (Sharing the module between threads needs a forward that writes no module attribute: open
      // checked that already, with ModuleStateWrites.)
      float minScore = bundle.takesMinScore() ? bundle.defaultOptions().scoreThreshold() : 0f;
      for (ImageBatch batch : withMinScore) {
        infer(batch, minScore);
      }
    } catch (InvalidBundleException e) {
      // outputs that break the bundle's output contract (MaskRcnnTranslator names which)
      throw new InvalidBundleException(fileName() + ": the model does not follow its bundle's output "
          + "contract: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new InvalidBundleException(fileName() + ": the model does not follow the sparkseg contract "
          + "(forward(images[B,3,H,W] float32, sizes[B,2] int64"
          + (bundle.takesMinScore() ? ", flip[1] bool, min_score[1] float32" : flipInput == null ? "" : ", flip[1] bool")
          + ") -> " + ModelBundle.OUTPUT_NAMES + "): "
          + rootMessage(e), e);
    }
  }

  /** The loaded file, for messages. */
  private String fileName() {
    return bundle.modelFile() + (precision == Precision.FP32 ? "" : " (its " + precision.id() + " variant)");
  }

  static Device parseDevice(String device) {
    if (device == null || device.isBlank() || device.equalsIgnoreCase("cpu")) {
      return Device.cpu();
    }
    String d = device.trim().toLowerCase();
    if (d.matches("\\d+")) {
      return Device.gpu(Integer.parseInt(d));
    }
    if (d.equals("gpu") || d.equals("cuda")) {
      return Device.gpu();
    }
    if (d.matches("(gpu|cuda):\\d+")) {
      return Device.gpu(Integer.parseInt(d.substring(d.indexOf(':') + 1)));
    }
    throw new IllegalArgumentException("device must be 'cpu', 'gpu', 'gpu:N' or a GPU ordinal, got '" + device + "'");
  }

  public ModelBundle bundle() {
    return bundle;
  }

  /** The device libtorch holds the model's weights on (checked against the asked one at load). */
  public Device device() {
    return device;
  }

  /** The precision the model runs in (which of the bundle's model files was loaded). */
  public Precision precision() {
    return precision;
  }

  /** Whether this model's mask and keypoint heads also run on the mirrored image. */
  public boolean flips() {
    return flips;
  }

  /** Runs one batch (images of any sizes); results in input order, in original coordinates. */
  public List<ImageResult> predict(List<RgbImage> images, PredictOptions options) {
    if (images.isEmpty()) {
      return List.of();
    }
    return decoder.decode(infer(ImageBatch.of(images, bundle.resize()), options.scoreThreshold()), options);
  }

  /** Post-processing for {@link #infer} results; thread-safe, may run on any thread. */
  public DetectionDecoder decoder() {
    return decoder;
  }

  /**
   * Only the forward pass (plus resizing and batching): raw outputs, no native memory kept.
   * Pipelines call this on the inference thread and {@link #decoder()} elsewhere.
   */
  public RawDetections infer(List<RgbImage> images) {
    return infer(ImageBatch.of(images, bundle.resize()));
  }

  /** The forward pass alone on an already resized and padded batch (benchmarks pre-make these). */
  public RawDetections infer(ImageBatch batch) {
    return infer(batch, 0f);
  }

  /**
   * The forward pass, told the lowest score the caller will keep: a model that takes {@code min_score}
   * ({@link ModelBundle#takesMinScore()}) then runs its mask and keypoint heads only on detections scoring at
   * least {@code minScore} and returns only those; others return everything, for the decoder to filter.
   * Decode the result with a score threshold of at least {@code minScore}.
   */
  public RawDetections infer(ImageBatch batch, float minScore) {
    if (closed) {
      throw new IllegalStateException("model " + bundle.name() + " is closed");
    }
    Predictor<MaskRcnnTranslator.Input, RawDetections> predictor = borrow();
    try {
      return predictor.predict(new MaskRcnnTranslator.Input(batch, minScore));
    } catch (TranslateException e) {
      if (e.getCause() instanceof InvalidBundleException ib) {
        throw ib;
      }
      throw new IllegalStateException("inference failed in model " + bundle.name() + ": " + rootMessage(e), e);
    } finally {
      idle.add(predictor);
    }
  }

  private Predictor<MaskRcnnTranslator.Input, RawDetections> borrow() {
    Predictor<MaskRcnnTranslator.Input, RawDetections> p = idle.poll();
    if (p != null) {
      return p;
    }
    p = model.newPredictor(new MaskRcnnTranslator(bundle, flipInput, flips), device);
    synchronized (all) {
      all.add(p);
    }
    return p;
  }

  @Override
  public void close() {
    closed = true;
    synchronized (all) {
      all.forEach(Predictor::close);
      all.clear();
    }
    idle.clear();
    model.close();
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String msg = t.getMessage();
    if (msg != null) {
      int nl = msg.indexOf('\n');
      msg = nl > 0 ? msg.substring(0, nl) : msg;
    }
    return t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
  }
}
