package io.sparkseg.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A validated model bundle on local disk: a folder holding the TorchScript file and
 * {@code model.json}, which declares the categories, the input contract (resize rule,
 * normalization) and the output contract. Loading checks everything that can be checked
 * without running the model, so a bad bundle fails on the driver before any task starts: the
 * fields' presence and types against {@code models/bundle.schema.json} ({@link BundleSchema}, the
 * file the Python exporter validates against too), then their values and how they agree here.
 */
public final class ModelBundle {
  public static final String FORMAT = "sparkseg-bundle/1";
  public static final String DESCRIPTOR = "model.json";
  /** The model's outputs, in order, as every bundle must declare them. */
  public static final List<String> OUTPUT_NAMES =
      List.of("boxes", "scores", "labels", "mask_probs", "keypoints", "keypoint_scores", "image_index");

  /** Above this a mask would mostly describe the surroundings of its box: surely a broken descriptor. */
  static final float MAX_MASK_BOX_SCALE = 4.0f;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path directory;
  private final Path modelFile;
  private final String name;
  private final String version;
  private final String sha256;
  private final String descriptorSha256;
  private final List<Category> categories;
  private final ResizeRule resize;
  private final int sizeDivisibility;
  private final int maskResolution;
  private final float maskBoxScale;
  private final Postprocess postprocess;
  private final int numKeypoints;
  private final PredictOptions defaultOptions;
  private final boolean flipByDefault;
  private final boolean flipSwitchable;
  private final boolean minScoreInput;
  private final PrecisionVariants variants;

  private ModelBundle(Path directory, JsonNode root, String descriptorSha256) {
    this.directory = directory;
    this.descriptorSha256 = descriptorSha256;
    String where = "model bundle " + directory;
    // presence and types of the fields: the schema; what follows checks values and how fields agree
    BundleSchema.check(root, where);
    String format = root.get("format").asText();
    if (!FORMAT.equals(format)) {
      throw new InvalidBundleException(where + ": format is '" + format + "', expected '" + FORMAT + "'");
    }
    this.name = root.get("name").asText();
    this.version = root.get("version").asText();
    String file = root.path("model_file").asText("model.pt");
    this.modelFile = directory.resolve(file);
    this.sha256 = root.get("sha256").asText().toLowerCase();
    this.categories = parseCategories(root.get("categories"), where);
    this.variants = PrecisionVariants.parse(root.path("precisions"), directory, where);

    JsonNode input = root.get("input");
    expect(input, "channel_order", "RGB", where);
    expect(input, "layout", "NCHW", where);
    expect(input, "dtype", "float32", where);
    JsonNode range = input.get("value_range");
    if (range.size() != 2 || range.get(0).asDouble() != 0.0 || range.get(1).asDouble() != 1.0) {
      throw new InvalidBundleException(where + ": input.value_range must be [0.0, 1.0], got " + range);
    }
    if (!input.get("normalization").get("inside_model").asBoolean()) {
      throw new InvalidBundleException(
          where + ": input.normalization.inside_model must be true (sparkseg feeds 0..1 RGB)");
    }
    JsonNode resizeNode = input.get("resize");
    try {
      this.resize = new ResizeRule(integer(resizeNode, "min_size", where), integer(resizeNode, "max_size", where),
          ResizeRule.Kind.of(resizeNode.get("rule").asText()));
    } catch (IllegalArgumentException e) {
      throw new InvalidBundleException(where + ": input.resize: " + e.getMessage());
    }
    JsonNode optional = input.path("optional_inputs");
    this.flipSwitchable = optional.has("flip");
    this.minScoreInput = optional.has("min_score");
    this.flipByDefault = root.path("test_time").path("flip").asBoolean(false);
    this.sizeDivisibility = input.path("size_divisibility").asInt(32);
    if (sizeDivisibility <= 0) {
      throw new InvalidBundleException(where + ": input.size_divisibility must be positive");
    }

    JsonNode output = root.get("output");
    List<String> names = new ArrayList<>();
    output.get("names").forEach(n -> names.add(n.asText()));
    if (!names.equals(OUTPUT_NAMES)) {
      throw new InvalidBundleException(
          where + ": output.names must be " + OUTPUT_NAMES + ", got " + names);
    }
    expect(output, "box_format", "xyxy", where);
    expect(output, "coordinates", "resized_input", where);
    this.maskResolution = integer(output, "mask_resolution", where);
    this.numKeypoints = integer(output, "num_keypoints", where);
    if (maskResolution <= 0 || numKeypoints < 0) {
      throw new InvalidBundleException(where + ": output.mask_resolution must be > 0 and num_keypoints >= 0");
    }
    // masks of a model whose mask head works in enlarged boxes cover the box enlarged by this factor
    JsonNode boxScale = output.path("mask_box_scale");
    this.maskBoxScale = (float) boxScale.asDouble(1.0);
    if (!(maskBoxScale >= 1.0f && maskBoxScale <= MAX_MASK_BOX_SCALE)) {
      throw new InvalidBundleException(where + ": output.mask_box_scale must be between 1 and "
          + MAX_MASK_BOX_SCALE + ", got " + boxScale);
    }
    try {
      this.postprocess = Postprocess.of(output.path("postprocess").asText(Postprocess.TORCHVISION.contractName()));
    } catch (IllegalArgumentException e) {
      throw new InvalidBundleException(where + ": output.postprocess: " + e.getMessage());
    }
    if (postprocess == Postprocess.DETECTRON2 && maskBoxScale != 1.0f) {
      throw new InvalidBundleException(where + ": output.mask_box_scale must be 1 with Detectron2's post-processing"
          + " (its paste puts each mask into its detection box), got " + maskBoxScale);
    }
    for (Category c : categories) {
      if (c.hasKeypoints() && c.keypointNames().size() != numKeypoints) {
        throw new InvalidBundleException(where + ": category '" + c.name() + "' declares "
            + c.keypointNames().size() + " keypoints but output.num_keypoints is " + numKeypoints);
      }
    }

    JsonNode thresholds = root.path("thresholds");
    try {
      this.defaultOptions = new PredictOptions(
          (float) thresholds.path("score").asDouble(0.5), (float) thresholds.path("mask").asDouble(0.5));
    } catch (IllegalArgumentException e) {
      throw new InvalidBundleException(where + ": thresholds: " + e.getMessage());
    }
  }

  /**
   * Reads and validates {@code dir/model.json} and checks the model file's sha256.
   *
   * @throws InvalidBundleException naming the bundle and the problem
   */
  public static ModelBundle load(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new InvalidBundleException("model bundle " + dir + ": no such directory");
    }
    Path descriptor = dir.resolve(DESCRIPTOR);
    if (!Files.isRegularFile(descriptor)) {
      throw new InvalidBundleException("model bundle " + dir + ": " + DESCRIPTOR + " is missing");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(descriptor);
    } catch (IOException e) {
      throw new InvalidBundleException(descriptor + ": cannot read: " + e.getMessage(), e);
    }
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new InvalidBundleException(descriptor + ": not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new InvalidBundleException(descriptor + ": expected a JSON object");
    }
    ModelBundle bundle = new ModelBundle(dir, root, sha256Hex(bytes));
    bundle.verifyChecksum();
    return bundle;
  }

  private void verifyChecksum() {
    if (!Files.isRegularFile(modelFile)) {
      throw new InvalidBundleException("model bundle " + directory + ": model file " + modelFile.getFileName() + " is missing");
    }
    String actual = sha256Hex(modelFile);
    if (!actual.equals(sha256)) {
      throw new InvalidBundleException(modelFile + ": sha256 mismatch: model.json says " + sha256
          + " but the file hashes to " + actual + " (corrupt or replaced model file)");
    }
  }

  /**
   * The digest a model.json's bytes promise (its recorded model sha256 and their own), without validating them;
   * null when they are not a JSON object with a hex sha256.
   */
  static BundleDigest digestOf(byte[] descriptor) {
    try {
      JsonNode root = JSON.readTree(descriptor);
      JsonNode sha = root == null ? null : root.get("sha256");
      String hex = sha != null && sha.isTextual() ? sha.asText().toLowerCase(Locale.ROOT) : "";
      return hex.matches("[0-9a-f]{64}") ? new BundleDigest(hex, sha256Hex(descriptor)) : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** Lower-case hex SHA-256 of some bytes. */
  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Lower-case hex SHA-256 of a file. */
  public static String sha256Hex(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new InvalidBundleException(file + ": cannot read: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Category> parseCategories(JsonNode node, String where) {
    List<Category> result = new ArrayList<>();
    Set<Integer> ids = new HashSet<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode c = node.get(i);
      String at = where + ": categories[" + i + "]";
      int label = integer(c, "label", at);
      if (label != i + 1) {
        throw new InvalidBundleException(at + ": label is " + label + ", expected " + (i + 1)
            + " (labels are the model's contiguous outputs 1..C, in list order)");
      }
      int id = integer(c, "id", at);
      if (!ids.add(id)) {
        throw new InvalidBundleException(at + ": duplicate category id " + id);
      }
      List<String> kpNames = new ArrayList<>();
      c.path("keypoints").forEach(k -> kpNames.add(k.asText()));
      List<int[]> skeleton = new ArrayList<>();
      for (JsonNode pair : c.path("skeleton")) {
        int a = pair.path(0).asInt(0);
        int b = pair.path(1).asInt(0);
        if (pair.size() != 2 || a < 1 || b < 1 || a > kpNames.size() || b > kpNames.size()) {
          throw new InvalidBundleException(at + ": skeleton pair " + pair + " is not two 1-based keypoint indexes");
        }
        skeleton.add(new int[] {a, b});
      }
      double[] sigmas = new double[c.path("sigmas").size()];
      for (int k = 0; k < sigmas.length; k++) {
        sigmas[k] = c.path("sigmas").get(k).asDouble();
      }
      if (!kpNames.isEmpty() && sigmas.length != kpNames.size()) {
        throw new InvalidBundleException(at + ": " + kpNames.size() + " keypoints but " + sigmas.length + " sigmas");
      }
      result.add(new Category(label, id, c.get("name").asText(),
          c.path("supercategory").asText(""), kpNames, skeleton, sigmas));
    }
    return List.copyOf(result);
  }

  /** An integer field the schema has typed: only its range is left to check (it must fit an int). */
  private static int integer(JsonNode node, String field, String where) {
    JsonNode v = node.get(field);
    if (!v.canConvertToInt()) {
      throw new InvalidBundleException(where + ": field '" + field + "' is out of range, got " + v);
    }
    return v.asInt();
  }

  private static void expect(JsonNode node, String field, String expected, String where) {
    String actual = node.get(field).asText();
    if (!expected.equals(actual)) {
      throw new InvalidBundleException(
          where + ": field '" + field + "' is '" + actual + "', sparkseg supports only '" + expected + "'");
    }
  }

  /** Whether the model flips (mask and keypoint heads also on the mirrored image) unless told otherwise. */
  public boolean flipByDefault() {
    return flipByDefault;
  }

  /**
   * Whether the model takes the optional {@code min_score} input (after {@code flip}): detections under it leave
   * before the mask and keypoint heads run, which then spend nothing on detections the caller drops.
   */
  public boolean takesMinScore() {
    return minScoreInput;
  }

  /** Whether the model takes the optional {@code flip} input, so a caller can switch the flip per call. */
  public boolean flipSwitchable() {
    return flipSwitchable;
  }

  public Path directory() {
    return directory;
  }

  public Path modelFile() {
    return modelFile;
  }

  /**
   * The model file of a precision: {@link #modelFile()} for fp32, else the variant model.json declares, its sha256
   * checked now.
   *
   * @throws InvalidBundleException when the bundle has no such variant (saying how to make one) or it is damaged
   */
  public Path modelFile(Precision precision) {
    return precision == Precision.FP32 ? modelFile : variants.file(precision, name);
  }

  /** The reduced-precision variants the bundle declares (fp32, the model file itself, is not one). */
  public Set<Precision> precisionVariants() {
    return variants.available();
  }

  public String name() {
    return name;
  }

  public String version() {
    return version;
  }

  public String sha256() {
    return sha256;
  }

  /** The model file's and model.json's sha256: what the executors check they run the validated bundle by. */
  public BundleDigest digest() {
    return new BundleDigest(sha256, descriptorSha256);
  }

  /** Categories in label order: {@code categories().get(label - 1)}. */
  public List<Category> categories() {
    return categories;
  }

  /** The category for a model output label, or an exception naming the label. */
  public Category categoryForLabel(int label) {
    if (label < 1 || label > categories.size()) {
      throw new IllegalStateException("model " + name + " produced label " + label
          + " but its bundle declares labels 1.." + categories.size());
    }
    return categories.get(label - 1);
  }

  public ResizeRule resize() {
    return resize;
  }

  public int sizeDivisibility() {
    return sizeDivisibility;
  }

  public int maskResolution() {
    return maskResolution;
  }

  /**
   * The factor, about the box centre, by which the box a mask covers exceeds its detection box
   * ({@code output.mask_box_scale}, 1 when absent): masks are pasted into the enlarged box.
   */
  public float maskBoxScale() {
    return maskBoxScale;
  }

  /** Whose semantics map the outputs into the image ({@code output.postprocess}, torchvision's when absent). */
  public Postprocess postprocess() {
    return postprocess;
  }

  public int numKeypoints() {
    return numKeypoints;
  }

  public PredictOptions defaultOptions() {
    return defaultOptions;
  }

  @Override
  public String toString() {
    return "ModelBundle[" + name + " " + version + " at " + directory + "]";
  }
}
