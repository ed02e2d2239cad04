package io.sparkseg.job.input;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sparkseg.job.fs.HadoopConf;
import io.sparkseg.job.secrets.Secrets;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.function.FilterFunction;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Turns an {@link InputSpec} into the {@code (image_id long, path string, refused string)} rows of
 * a run ({@link ResolvedInput}), one per distinct image, with fully qualified paths (see
 * {@link ImageIds}). Folders and globs are listed on the driver through the Hadoop FileSystem API
 * (recursively; names starting with '.' or '_' are skipped); manifests are read with Spark. Nothing is opened or decoded here: a file that
 * disappears later is reported as {@code missing} by the segmenting task. COCO file names, and
 * manifest paths under {@code --image-root}, that leave the root ({@link ImageRoot}) keep their
 * name as given and say why in {@code refused}: the task gives them {@code refused_path}
 * without touching the file.
 */
public final class InputResolver {
  /** Schema of the resolved input; {@code refused} is null for every image the task may read. */
  public static final StructType SCHEMA = new StructType()
      .add("image_id", DataTypes.LongType, false)
      .add("path", DataTypes.StringType, false)
      .add("refused", DataTypes.StringType, true);

  private InputResolver() {}

  /**
   * Resolves the input. The result is checked: not empty, and no image id used for two paths.
   *
   * @throws InputException with a message for the user
   */
  public static ResolvedInput resolve(SparkSession spark, InputSpec spec) {
    String problem = spec.validate();
    if (problem != null) {
      throw new InputException(problem);
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    if (InputSpec.blank(spec.manifest())) {
      // listed on the driver: checked there, no Spark job
      List<Row> listed = new ArrayList<>();
      if (!InputSpec.blank(spec.input())) {
        for (String p : listFiles(spec.input(), conf)) {
          listed.add(RowFactory.create(ImageIds.fromNormalizedPath(p), p, null));
        }
      } else {
        listed = readCocoImages(spec.cocoImages(), spec.imageRoot(), conf);
      }
      return ResolvedInput.listed(spark, distinctChecked(listed, spec));
    }
    // cached: counted and checked here, then partitioned by the job (the manifest is read once).
    // Hashed by image_id into the cluster's parallelism: the repeats of a row and the rows of an
    // id then share a partition, so neither distinct nor the id check below shuffles again (a
    // second shuffle of every row), and the cache is not left in spark.sql.shuffle.partitions
    // pieces, each a tiny task of every later job
    Dataset<Row> distinct = readManifest(spark, spec.manifest(), spec.imageRoot(), conf)
        .repartition(Math.max(1, spark.sparkContext().defaultParallelism()), functions.col("image_id"))
        .distinct()
        .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
    long n = distinct.count();
    if (n == 0) {
      distinct.unpersist(false);
      throw new InputException("no input images found in " + spec.describe());
    }
    long ids = distinct.select("image_id").distinct().count();
    if (ids != n) {
      List<Row> dup = distinct.groupBy("image_id").count().filter("count > 1").limit(3).collectAsList();
      distinct.unpersist(false);
      throw new InputException((n - ids) + " image ids are used by more than one path in "
          + spec.describe() + ", e.g. image_id " + dup.get(0).getLong(0));
    }
    return ResolvedInput.table(spark, distinct, n);
  }

  /**
   * Drops repeated (id, path) rows keeping the first; fails when an id names two paths, a path holds login details
   * (the images table would keep them) or nothing is left.
   */
  static List<Row> distinctChecked(List<Row> rows, InputSpec spec) {
    Map<Long, String> pathById = new HashMap<>();
    List<Row> out = new ArrayList<>(rows.size());
    long conflicts = 0;
    Long example = null;
    for (Row r : rows) {
      long id = r.getLong(0);
      String path = r.getString(1);
      if (Secrets.hasLogin(path)) {
        throw loginIn(spec, rows.stream().filter(x -> Secrets.hasLogin(x.getString(1))).count(), path);
      }
      String seen = pathById.putIfAbsent(id, path);
      if (seen == null) {
        out.add(r);
      } else if (!seen.equals(path)) {
        conflicts++;
        example = example == null ? id : example;
      }
    }
    if (out.isEmpty()) {
      throw new InputException("no input images found in " + spec.describe());
    }
    if (conflicts > 0) {
      throw new InputException(conflicts + " image ids are used by more than one path in "
          + spec.describe() + ", e.g. image_id " + example);
    }
    return out;
  }

  private static InputException loginIn(InputSpec spec, long paths, String example) {
    return new InputException(spec.describe() + ": " + paths + " paths hold login details (user:secret@), e.g. "
        + Secrets.redact(example) + "; give credentials in the configuration instead");
  }

  /** Lists the files a folder or glob names, sorted, qualified. */
  public static List<String> listFiles(String input, Configuration conf) {
    try {
      Path pattern = new Path(input);
      FileSystem fs = pattern.getFileSystem(conf);
      FileStatus[] matches = fs.globStatus(pattern);
      if (matches == null || matches.length == 0) {
        throw new InputException("input " + input + ": no such file, folder or glob match");
      }
      List<String> out = new ArrayList<>();
      for (FileStatus m : matches) {
        if (m.isDirectory()) {
          RemoteIterator<LocatedFileStatus> it = fs.listFiles(m.getPath(), true);
          String base = fs.makeQualified(m.getPath()).toString();
          while (it.hasNext()) {
            LocatedFileStatus f = it.next();
            String p = fs.makeQualified(f.getPath()).toString();
            if (!hidden(p.length() > base.length() ? p.substring(base.length()) : f.getPath().getName())) {
              out.add(p);
            }
          }
        } else if (!hidden(m.getPath().getName())) {
          out.add(fs.makeQualified(m.getPath()).toString());
        }
      }
      out.sort(null);
      return out;
    } catch (FileNotFoundException e) {
      throw new InputException("input " + input + ": not found", e);
    } catch (IOException e) {
      throw new InputException("input " + input + ": cannot list it: " + e.getMessage(), e);
    }
  }

  private static boolean hidden(String relative) {
    for (String part : relative.split("/")) {
      if (part.startsWith(".") || part.startsWith("_")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Reads a manifest. Format by extension: .csv (with header), .json/.jsonl/.ndjson (JSON lines),
   * anything else Parquet (a file or a folder). Without {@code imageRoot}, relative paths are
   * resolved against the folder that holds the manifest; with it, every path must be relative to it
   * and stay inside it ({@link ImageRoot}), else its image is refused. A missing or null image_id is
   * derived from the path.
   */
  static Dataset<Row> readManifest(SparkSession spark, String manifest, String imageRoot, Configuration conf) {
    Path mp = new Path(manifest);
    String base;
    try {
      FileSystem fs = mp.getFileSystem(conf);
      if (!fs.exists(mp)) {
        throw new InputException("manifest " + manifest + ": not found");
      }
      Path q = fs.makeQualified(mp);
      base = (q.getParent() == null ? q : q.getParent()).toString(); // the folder holding the manifest (file or Parquet folder)
    } catch (IOException e) {
      throw new InputException("manifest " + manifest + ": cannot read it: " + e.getMessage(), e);
    }
    String lower = manifest.toLowerCase(Locale.ROOT);
    Dataset<Row> df;
    try {
      if (lower.endsWith(".csv")) {
        df = spark.read().option("header", "true").csv(manifest);
      } else if (lower.endsWith(".json") || lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) {
        df = spark.read().json(manifest);
      } else {
        df = spark.read().parquet(manifest);
      }
    } catch (RuntimeException e) {
      throw new InputException("manifest " + manifest + ": cannot read it: " + e.getMessage(), e);
    }
    List<String> cols = List.of(df.columns());
    if (!cols.contains("path")) {
      throw new InputException("manifest " + manifest + " has no 'path' column (columns: " + cols + ")");
    }
    Dataset<Row> sel = df.select(
        cols.contains("image_id")
            ? functions.col("image_id").cast(DataTypes.LongType).as("image_id")
            : functions.lit(null).cast(DataTypes.LongType).as("image_id"),
        functions.col("path").cast(DataTypes.StringType).as("path"));
    // both checks in one scan of the manifest; try_cast: an ANSI cast fails on the first bad value
    // (SQL's try_cast: Column.try_cast is Spark 4 only)
    Column path = df.col("path").cast(DataTypes.StringType);
    Column badId = cols.contains("image_id")
        ? df.col("image_id").isNotNull().and(functions.expr("try_cast(`image_id` AS BIGINT)").isNull())
        : functions.lit(false);
    Row bad = df.agg(functions.count(functions.when(path.isNull().or(functions.trim(path).equalTo("")), 1)),
        functions.count(functions.when(badId, 1))).first();
    if (bad.getLong(0) > 0) {
      throw new InputException("manifest " + manifest + ": " + bad.getLong(0) + " rows have an empty path");
    }
    if (bad.getLong(1) > 0) {
      throw new InputException("manifest " + manifest + ": " + bad.getLong(1) + " image_id values are not integers");
    }
    Dataset<Row> logins = sel.filter((FilterFunction<Row>) r -> Secrets.hasLogin(r.getString(1)));
    long withLogin = logins.count();
    if (withLogin > 0) {
      throw loginIn(new InputSpec(null, manifest, null, null), withLogin, logins.first().getString(1));
    }
    HadoopConf hc = new HadoopConf(conf);
    ImageRoot root = InputSpec.blank(imageRoot) ? null : ImageRoot.of(imageRoot, conf);
    FlatMapFunction<Iterator<Row>, Row> qualify = it -> {
      Configuration c = hc.get();
      List<Row> out = new ArrayList<>();
      while (it.hasNext()) {
        Row r = it.next();
        String raw = r.getString(1).trim();
        ImageRoot.Resolved resolved;
        if (root != null) {
          resolved = root.resolve(raw);
        } else {
          Path p = new Path(raw);
          if (!p.isAbsolute() && p.toUri().getScheme() == null) {
            p = new Path(base, raw);
          }
          resolved = new ImageRoot.Resolved(p.getFileSystem(c).makeQualified(p).toString(), null);
        }
        long id = r.isNullAt(0) ? ImageIds.fromNormalizedPath(resolved.path()) : r.getLong(0);
        out.add(RowFactory.create(id, resolved.path(), resolved.refused()));
      }
      return out.iterator();
    };
    return spark.createDataFrame(sel.javaRDD().mapPartitions(qualify), SCHEMA);
  }

  /**
   * Reads {@code images[].id} and {@code images[].file_name} from a COCO file (streaming); a
   * file_name that leaves {@code imageRoot} is refused ({@link ImageRoot}).
   */
  static List<Row> readCocoImages(String cocoJson, String imageRoot, Configuration conf) {
    Path gt = new Path(cocoJson);
    List<Row> out = new ArrayList<>();
    try {
      ImageRoot root = ImageRoot.of(imageRoot, conf);
      FileSystem fs = gt.getFileSystem(conf);
      try (InputStream in = fs.open(gt); JsonParser p = new JsonFactory().createParser(in)) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
          throw new InputException("COCO file " + cocoJson + ": not a JSON object");
        }
        boolean sawImages = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String field = p.getCurrentName();
          JsonToken t = p.nextToken();
          if (!"images".equals(field)) {
            p.skipChildren();
            continue;
          }
          sawImages = true;
          if (t != JsonToken.START_ARRAY) {
            throw new InputException("COCO file " + cocoJson + ": 'images' is not an array");
          }
          while (p.nextToken() == JsonToken.START_OBJECT) {
            Long id = null;
            String fileName = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String f = p.getCurrentName();
              p.nextToken();
              if ("id".equals(f)) {
                id = p.getValueAsLong();
              } else if ("file_name".equals(f)) {
                fileName = p.getValueAsString();
              } else {
                p.skipChildren();
              }
            }
            if (id == null || fileName == null) {
              throw new InputException("COCO file " + cocoJson + ": an image lacks id or file_name");
            }
            ImageRoot.Resolved resolved = root.resolve(fileName);
            out.add(RowFactory.create(id, resolved.path(), resolved.refused()));
          }
        }
        if (!sawImages) {
          throw new InputException("COCO file " + cocoJson + " has no 'images' array");
        }
      }
    } catch (FileNotFoundException e) {
      throw new InputException("COCO file " + cocoJson + ": not found", e);
    } catch (IOException e) {
      throw new InputException("COCO file " + cocoJson + ": cannot read it: " + e.getMessage(), e);
    }
    return out;
  }
}
