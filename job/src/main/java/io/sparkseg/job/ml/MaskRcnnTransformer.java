package io.sparkseg.job.ml;

import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.result.ImageStatus;
import io.sparkseg.job.config.SegmentConfig;
import io.sparkseg.job.config.SegmentKeys;
import io.sparkseg.job.executor.Device;
import io.sparkseg.job.executor.ExecutorSettings;
import io.sparkseg.job.executor.ImageBytes;
import io.sparkseg.job.executor.ImageOutcome;
import io.sparkseg.job.executor.ModelRef;
import io.sparkseg.job.executor.PipelineSettings;
import io.sparkseg.job.executor.ResultRows;
import io.sparkseg.job.executor.RunMetrics;
import io.sparkseg.job.executor.SegmentingPartitions;
import io.sparkseg.job.executor.Thresholds;
import io.sparkseg.job.fs.HadoopConf;
import io.sparkseg.job.fs.ModelUris;
import io.sparkseg.tables.InstancesTable;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@link Transformer} that segments images inside a Pipeline. The input column holds
 * either encoded image bytes ({@code binary}, e.g. from the {@code binaryFile} source's
 * {@code content}) or an image path ({@code string}, read with the Hadoop FileSystem API). The
 * output column is {@code array<struct>} with the instances table's per-instance columns
 * ({@link InstancesTable#INSTANCE}: instance_index, category_id, category_name, score, bbox, mask,
 * mask_area, mask_score, keypoints); it is null when the image could not be read, decoded or segmented, and
 * the optional status column says why ({@code ok}, {@code decode_error}, {@code missing}, ...).
 * It runs the segment job's executor path ({@link SegmentingPartitions}): one model per executor
 * JVM, images read and decoded ahead and batched across the executor's tasks, the same pipeline
 * settings as {@code sparkseg segment}, and the {@code sparkseg.*} accumulators ({@link #metrics()}).
 */
public final class MaskRcnnTransformer extends Transformer implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;
  private final String uid;

  public final Param<String> modelUri;
  public final Param<String> inputCol;
  public final Param<String> outputCol;
  public final Param<String> statusCol;
  public final IntParam batchSize;
  public final DoubleParam scoreThreshold;
  public final DoubleParam maskThreshold;
  public final LongParam maxImagePixels;
  public final LongParam maxImageBytes;
  public final Param<String> device;
  public final Param<String> flipTest;
  public final Param<String> precision;
  public final Param<String> modelCacheDir;
  public final LongParam maxBatchWaitMs;
  public final IntParam prefetch;
  public final IntParam prepareThreads;
  public final IntParam postprocessThreads;
  public final IntParam inferenceThreads;
  public final IntParam torchThreads;
  private transient RunMetrics metrics;

  public MaskRcnnTransformer() {
    this(Identifiable$.MODULE$.randomUID("maskRcnn"));
  }

  public MaskRcnnTransformer(String uid) {
    this.uid = uid; // before the params: each Param records its parent's uid
    modelUri = new Param<>(this, "modelUri", "model bundle URI (any Hadoop file system)");
    inputCol = new Param<>(this, "inputCol", "image bytes (binary) or path (string) column");
    outputCol = new Param<>(this, "outputCol", "output column: array of instance structs");
    statusCol = new Param<>(this, "statusCol", "optional image status column ('' = none)");
    batchSize = new IntParam(this, "batchSize", "images per forward pass at most (batches form across the executor's tasks)", ParamValidators.gtEq(1));
    scoreThreshold = new DoubleParam(this, "scoreThreshold",
      "minimum score; negative = the bundle's default", ParamValidators.ltEq(1));
    maskThreshold = new DoubleParam(this, "maskThreshold",
      "mask threshold; negative = the bundle's default", ParamValidators.ltEq(1));
    maxImagePixels = new LongParam(this, "maxImagePixels", "pixel limit checked before decoding (too_large)",
      ParamValidators.inRange(1, ImageDecoder.MAX_PIXELS_LIMIT));
    maxImageBytes = new LongParam(this, "maxImageBytes", "byte limit of an image file, checked from its status before "
      + "reading it, or of a binary value (too_large)", ParamValidators.inRange(1, ImageBytes.MAX_BYTES_LIMIT));
    device = new Param<>(this, "device", "auto, cpu, gpu or gpu:N");
    flipTest = new Param<>(this, "flipTest", "flip test-time augmentation of the mask and keypoint heads: auto (the "
      + "bundle's default), on or off");
    precision = new Param<>(this, "precision", "fp32 (the bundle's model.pt), fp16 or bf16 (a variant the bundle "
      + "declares)");
    modelCacheDir = new Param<>(this, "modelCacheDir", "local cache for remote bundles, private to the user ('' = "
      + "<java.io.tmpdir>/sparkseg-model-cache-<user> of each host)");
    maxBatchWaitMs = new LongParam(this, "maxBatchWaitMs", "how long the model waits for a batch to fill (ms)",
      ParamValidators.gtEq(0));
    prefetch = new IntParam(this, "prefetch", "images each task keeps read and decoded ahead of the model",
      ParamValidators.gtEq(1));
    prepareThreads = new IntParam(this, "prepareThreads", "threads per executor that read and decode images (0 = auto)",
      ParamValidators.gtEq(0));
    postprocessThreads = new IntParam(this, "postprocessThreads",
      "threads per executor that paste masks and encode RLE (0 = auto)", ParamValidators.gtEq(0));
    inferenceThreads = new IntParam(this, "inferenceThreads",
      "threads per executor running forward passes of the one model (0 = auto)", ParamValidators.gtEq(0));
    torchThreads = new IntParam(this, "torchThreads", "libtorch intra-op threads per forward pass (0 = auto)",
      ParamValidators.gtEq(0));
    setDefault(inputCol, "content");
    setDefault(outputCol, "instances");
    setDefault(statusCol, "");
    setDefault(batchSize, SegmentKeys.BATCH_SIZE_DEFAULT);
    setDefault(scoreThreshold, -1.0);
    setDefault(maskThreshold, -1.0);
    setDefault(maxImagePixels, SegmentKeys.MAX_IMAGE_PIXELS_DEFAULT);
    setDefault(maxImageBytes, SegmentKeys.MAX_IMAGE_BYTES_DEFAULT);
    setDefault(device, SegmentKeys.DEVICE_DEFAULT);
    setDefault(flipTest, SegmentKeys.FLIP_TEST_DEFAULT);
    setDefault(precision, SegmentKeys.PRECISION_DEFAULT);
    setDefault(maxBatchWaitMs, SegmentKeys.MAX_BATCH_WAIT_MS_DEFAULT);
    setDefault(prefetch, SegmentKeys.PREFETCH_DEFAULT);
    setDefault(prepareThreads, SegmentKeys.AUTO_THREADS);
    setDefault(postprocessThreads, SegmentKeys.AUTO_THREADS);
    setDefault(inferenceThreads, SegmentKeys.AUTO_THREADS);
    setDefault(torchThreads, SegmentKeys.AUTO_THREADS);
    setDefault(modelCacheDir, "");
  }

  @Override
  public String uid() {
    return uid;
  }

  // Spark ML finds a stage's params through public no-argument methods returning Param
  public Param<String> modelUri() {
    return modelUri;
  }

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> outputCol() {
    return outputCol;
  }

  public Param<String> statusCol() {
    return statusCol;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  public DoubleParam scoreThreshold() {
    return scoreThreshold;
  }

  public DoubleParam maskThreshold() {
    return maskThreshold;
  }

  public LongParam maxImagePixels() {
    return maxImagePixels;
  }

  public LongParam maxImageBytes() {
    return maxImageBytes;
  }

  public Param<String> device() {
    return device;
  }

  public Param<String> modelCacheDir() {
    return modelCacheDir;
  }

  public Param<String> flipTest() {
    return flipTest;
  }

  public Param<String> precision() {
    return precision;
  }

  public LongParam maxBatchWaitMs() {
    return maxBatchWaitMs;
  }

  public IntParam prefetch() {
    return prefetch;
  }

  public IntParam prepareThreads() {
    return prepareThreads;
  }

  public IntParam postprocessThreads() {
    return postprocessThreads;
  }

  public IntParam inferenceThreads() {
    return inferenceThreads;
  }

  public IntParam torchThreads() {
    return torchThreads;
  }

  public MaskRcnnTransformer setMaxBatchWaitMs(long v) {
    set(maxBatchWaitMs, v);
    return this;
  }

  public MaskRcnnTransformer setPrefetch(int v) {
    set(prefetch, v);
    return this;
  }

  public MaskRcnnTransformer setPrepareThreads(int v) {
    set(prepareThreads, v);
    return this;
  }

  public MaskRcnnTransformer setPostprocessThreads(int v) {
    set(postprocessThreads, v);
    return this;
  }

  public MaskRcnnTransformer setInferenceThreads(int v) {
    set(inferenceThreads, v);
    return this;
  }

  public MaskRcnnTransformer setTorchThreads(int v) {
    set(torchThreads, v);
    return this;
  }

  public MaskRcnnTransformer setFlipTest(String v) {
    set(flipTest, v);
    return this;
  }

  public MaskRcnnTransformer setPrecision(String v) {
    set(precision, v);
    return this;
  }

  public MaskRcnnTransformer setModelUri(String v) {
    set(modelUri, v);
    return this;
  }

  public MaskRcnnTransformer setInputCol(String v) {
    set(inputCol, v);
    return this;
  }

  public MaskRcnnTransformer setOutputCol(String v) {
    set(outputCol, v);
    return this;
  }

  public MaskRcnnTransformer setStatusCol(String v) {
    set(statusCol, v);
    return this;
  }

  public MaskRcnnTransformer setBatchSize(int v) {
    set(batchSize, v);
    return this;
  }

  public MaskRcnnTransformer setScoreThreshold(double v) {
    set(scoreThreshold, v);
    return this;
  }

  public MaskRcnnTransformer setMaskThreshold(double v) {
    set(maskThreshold, v);
    return this;
  }

  public MaskRcnnTransformer setMaxImagePixels(long v) {
    set(maxImagePixels, v);
    return this;
  }

  public MaskRcnnTransformer setMaxImageBytes(long v) {
    set(maxImageBytes, v);
    return this;
  }

  public MaskRcnnTransformer setDevice(String v) {
    set(device, v);
    return this;
  }

  public MaskRcnnTransformer setModelCacheDir(String v) {
    set(modelCacheDir, v);
    return this;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    if (!isDefined(modelUri)) {
      throw new IllegalArgumentException("MaskRcnnTransformer: set modelUri");
    }
    // the same checks as segment's options, before any task
    List<String> problems = SegmentConfig.executorProblems(modelRef($(modelUri)), thresholds(), pipelineSettings(),
        MaskRcnnTransformer::paramName);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    String in = $(inputCol);
    if (!List.of(schema.fieldNames()).contains(in)) {
      throw new IllegalArgumentException("input column '" + in + "' does not exist; columns: " + List.of(schema.fieldNames()));
    }
    DataType t = schema.apply(in).dataType();
    if (!(t instanceof BinaryType) && !(t instanceof StringType)) {
      throw new IllegalArgumentException("input column '" + in + "' must be binary (image bytes) or string (path), is " + t.simpleString());
    }
    if (List.of(schema.fieldNames()).contains($(outputCol))) {
      throw new IllegalArgumentException("output column '" + $(outputCol) + "' already exists");
    }
    StructType out = schema.add($(outputCol), new ArrayType(InstancesTable.INSTANCE, false), true);
    if (!$(statusCol).isEmpty()) {
      out = out.add($(statusCol), DataTypes.StringType, false);
    }
    return out;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType outSchema = transformSchema(dataset.schema(), true);
    SparkSession spark = dataset.sparkSession();
    Dataset<Row> df = dataset.toDF();
    Configuration hconf = spark.sparkContext().hadoopConfiguration();
    // checked here, before any task; the executors run this bundle and no other
    ModelRef model = modelRef(ModelUris.qualify($(modelUri), hconf)).validateOnDriver(hconf).model();
    ExecutorSettings settings = new ExecutorSettings(model, thresholds(), pipelineSettings(), new HadoopConf(hconf));
    metrics = new RunMetrics(spark.sparkContext());
    ColumnPartitions fn = new ColumnPartitions(settings, metrics, List.of(df.schema().fieldNames()).indexOf($(inputCol)),
        df.schema().apply($(inputCol)).dataType() instanceof StringType, !$(statusCol).isEmpty());
    return spark.createDataFrame(df.javaRDD().mapPartitions(fn), outSchema);
  }

  private ModelRef modelRef(String uri) {
    return new ModelRef(uri, $(modelCacheDir), $(flipTest), new Device($(device)), $(precision));
  }

  private Thresholds thresholds() {
    double st = ((Number) $(scoreThreshold)).doubleValue();
    double mt = ((Number) $(maskThreshold)).doubleValue();
    return new Thresholds(st < 0 ? null : (float) st, mt < 0 ? null : (float) mt,
        ((Number) $(maxImagePixels)).longValue(), ((Number) $(maxImageBytes)).longValue());
  }

  /** A segment setting's param name: its key in camel case ({@code batch-size}: {@code batchSize}). */
  private static String paramName(String key) {
    if (key.equals(SegmentKeys.MODEL)) {
      return "modelUri";
    }
    StringBuilder b = new StringBuilder();
    for (String part : key.split("-")) {
      b.append(b.length() == 0 ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
    }
    return b.toString();
  }

  /** The executor pipeline these params ask for. */
  PipelineSettings pipelineSettings() {
    return new PipelineSettings(((Number) $(batchSize)).intValue(), ((Number) $(maxBatchWaitMs)).longValue(),
        ((Number) $(prefetch)).intValue(), ((Number) $(prepareThreads)).intValue(),
        ((Number) $(postprocessThreads)).intValue(), ((Number) $(inferenceThreads)).intValue(),
        ((Number) $(torchThreads)).intValue());
  }

  /**
   * The accumulators of the last {@link #transform} (images, failures, instances, timings; also in
   * the Spark UI under {@code sparkseg.*}), or null before the first.
   */
  public RunMetrics metrics() {
    return metrics;
  }

  /** Input rows with an image column (bytes or path) in; the same rows plus instances (and status) out. */
  private static final class ColumnPartitions extends SegmentingPartitions {
    private static final long serialVersionUID = 1L;
    private final int inIdx;
    private final boolean isPath;
    private final boolean withStatus;

    ColumnPartitions(ExecutorSettings settings, RunMetrics metrics, int inIdx, boolean isPath, boolean withStatus) {
      super(settings, metrics);
      this.inIdx = inIdx;
      this.isPath = isPath;
      this.withStatus = withStatus;
    }

    @Override
    protected ImageBytes.Read read(Row r, Configuration conf) {
      if (r.isNullAt(inIdx)) {
        return ImageBytes.Read.failed(ImageStatus.MISSING, "null input");
      }
      return isPath ? readFile(r.getString(inIdx), conf) : readGiven((byte[]) r.get(inIdx));
    }

    @Override
    protected Row output(Row r, ImageOutcome o) {
      Object[] vals = new Object[r.size() + (withStatus ? 2 : 1)];
      for (int c = 0; c < r.size(); c++) {
        vals[c] = r.get(c);
      }
      vals[r.size()] = o.ok() ? ResultRows.seq(ResultRows.instances(o.instances())) : null;
      if (withStatus) {
        vals[r.size() + 1] = o.status().code();
      }
      return RowFactory.create(vals);
    }
  }

  @Override
  public MaskRcnnTransformer copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  /** Reads a transformer saved with {@code write().save(path)}. */
  public static MaskRcnnTransformer load(String path) {
    return new org.apache.spark.ml.util.DefaultParamsReader<MaskRcnnTransformer>().load(path);
  }
}
