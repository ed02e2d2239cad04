package io.sparkseg.job.ml;

import io.sparkseg.core.model.BundleFetcher;
import io.sparkseg.core.model.FlipTest;
import io.sparkseg.tables.InstancesTable;
import io.sparkseg.job.segment.Devices;
import io.sparkseg.job.segment.ExecutorPipeline;
import io.sparkseg.job.segment.HadoopConf;
import io.sparkseg.job.segment.ImageBytes;
import io.sparkseg.job.segment.ImageOutcome;
import io.sparkseg.job.segment.ImageStatus;
import io.sparkseg.job.segment.ModelHolder;
import io.sparkseg.job.segment.ModelUris;
import io.sparkseg.job.segment.PipelineSettings;
import io.sparkseg.job.segment.ResultRows;
import io.sparkseg.job.segment.SegmentingWindow;
import java.net.URI;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.FlatMapFunction;
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
 * It runs on the segment job's engine: one model per executor JVM, images read and decoded ahead
 * and batched across the executor's tasks ({@link ExecutorPipeline}, {@link SegmentingWindow}).
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
  public final Param<String> device;
  public final Param<String> flipTest;
  public final Param<String> modelCacheDir;

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
    maxImagePixels = new LongParam(this, "maxImagePixels", "pixel limit checked before decoding",
      ParamValidators.gtEq(1));
    device = new Param<>(this, "device", "auto, cpu, gpu or gpu:N");
    flipTest = new Param<>(this, "flipTest", "flip test-time augmentation of the mask and keypoint heads: auto (the "
      + "bundle's default), on or off");
    modelCacheDir = new Param<>(this, "modelCacheDir", "local cache for remote bundles");
    setDefault(inputCol, "content");
    setDefault(outputCol, "instances");
    setDefault(statusCol, "");
    setDefault(batchSize, 1);
    setDefault(scoreThreshold, -1.0);
    setDefault(maskThreshold, -1.0);
    setDefault(maxImagePixels, io.sparkseg.core.image.ImageDecoder.DEFAULT_MAX_PIXELS);
    setDefault(device, "auto");
    setDefault(flipTest, "auto");
    setDefault(modelCacheDir, Path.of(System.getProperty("java.io.tmpdir"), "sparkseg-model-cache").toString());
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

  public Param<String> device() {
    return device;
  }

  public Param<String> modelCacheDir() {
    return modelCacheDir;
  }

  public Param<String> flipTest() {
    return flipTest;
  }

  public MaskRcnnTransformer setFlipTest(String v) {
    set(flipTest, v);
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
    FlipTest.parse($(flipTest)); // names a bad value before any task
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
    int inIdx = List.of(df.schema().fieldNames()).indexOf($(inputCol));
    boolean isPath = df.schema().apply($(inputCol)).dataType() instanceof StringType;
    boolean withStatus = !$(statusCol).isEmpty();
    String uri = ModelUris.qualify($(modelUri), spark.sparkContext().hadoopConfiguration());
    HadoopConf hc = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    int batch = ((Number) $(batchSize)).intValue();
    double st = ((Number) $(scoreThreshold)).doubleValue();
    double mt = ((Number) $(maskThreshold)).doubleValue();
    Float score = st < 0 ? null : (float) st;
    Float mask = mt < 0 ? null : (float) mt;
    long maxPixels = ((Number) $(maxImagePixels)).longValue();
    String dev = $(device);
    FlipTest flip = FlipTest.parse($(flipTest));
    String cache = $(modelCacheDir);
    // the bundle is checked here, on the driver: a bad one (or a flip it cannot switch) fails before any task
    flip.input(BundleFetcher.fetch(URI.create(uri), spark.sparkContext().hadoopConfiguration(), Path.of(cache)));
    FlatMapFunction<Iterator<Row>, Row> fn = rows -> {
      if (!rows.hasNext()) {
        return rows;
      }
      Configuration conf = hc.get();
      String device = Devices.forTask(dev);
      ModelHolder.Lease lease = ModelHolder.get(uri, device, flip, conf, Path.of(cache));
      PipelineSettings pipe = PipelineSettings.forBatch(batch);
      ExecutorPipeline pipeline = ExecutorPipeline.get(ModelHolder.key(uri, device, flip), lease.model(), pipe);
      SegmentingWindow<Row> window = new SegmentingWindow<>(rows, r -> {
        if (r.isNullAt(inIdx)) {
          return new ImageBytes.Read(null, ImageStatus.MISSING, "null input");
        }
        return isPath ? ImageBytes.read(r.getString(inIdx), conf) : new ImageBytes.Read((byte[]) r.get(inIdx), null, null);
      }, lease.model(), pipeline, SegmentingWindow.options(lease.model(), score, mask), maxPixels, pipe.prefetch());
      return window.map(seg -> {
        Row r = seg.item();
        ImageOutcome o = seg.outcome();
        Object[] vals = new Object[r.size() + (withStatus ? 2 : 1)];
        for (int c = 0; c < r.size(); c++) {
          vals[c] = r.get(c);
        }
        vals[r.size()] = o.ok() ? ResultRows.seq(ResultRows.instances(o.instances())) : null;
        if (withStatus) {
          vals[r.size() + 1] = o.status();
        }
        return RowFactory.create(vals);
      });
    };
    return spark.createDataFrame(df.javaRDD().mapPartitions(fn), outSchema);
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
