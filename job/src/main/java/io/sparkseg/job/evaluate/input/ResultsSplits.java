package io.sparkseg.job.evaluate.input;

import io.sparkseg.core.coco.CocoDetection;
import io.sparkseg.core.coco.CocoFormatException;
import io.sparkseg.core.coco.CocoJsonReader;
import io.sparkseg.core.coco.InParallel;
import io.sparkseg.job.fs.HadoopConf;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * A COCO results file (one JSON array of detections) read in parallel: each task takes a byte
 * range of the file and owns the detections whose {@code {} lies in it. A range after the first
 * starts at the first {@code }}, {@code ,}, {@code {} in it (whitespace allowed between): in a
 * results file that sequence only separates two detections, as detections are flat objects and RLE
 * counts strings hold neither braces nor quotes. Two passes: the first counts each range's
 * detections and where its first one starts and where the one after its last starts; the driver
 * checks that every range starts where the one before it stopped, so a range that began at a false
 * boundary (a string or a nested list of objects with that sequence) fails the read instead of
 * dropping or repeating detections; the counts give each detection its position in the file, which
 * loadRes makes its id and error messages name ({@code detection #i}), as if read in one piece.
 */
public final class ResultsSplits {
  static final String NOT_AN_ARRAY = "a COCO results file must be a JSON array of detections";
  private static final long END = Long.MAX_VALUE;

  /** A byte range {@code [start, end)} of the file. */
  record Range(int index, long start, long end) implements Serializable {}

  /**
   * What the first pass found in a range: the offset of its first detection (-1: none starts in
   * it), of the detection after its last ({@link #END}: the array ended) and how many it owns.
   */
  record Scan(int index, long first, long next, int count) implements Serializable {}

  /** A range to read: where its first detection starts, how many it owns, the file position of the first. */
  record Piece(int index, long first, int count, long position) implements Serializable {}

  /**
   * The detections of a results file, each with its position in the file (0-based), the first
   * detection ({@code null} if none; pycocotools' loadRes branch depends on it) and the count.
   */
  public record Detections(JavaRDD<Tuple2<Long, CocoDetection>> detections, CocoDetection first, long count) {}

  private ResultsSplits() {}

  /** Reads {@code uri} in ranges of Spark's file split size ({@link SplitSize}). */
  public static Detections read(SparkSession spark, String uri) throws IOException {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration conf = jsc.hadoopConfiguration();
    Path path = new Path(uri);
    FileSystem fs = path.getFileSystem(conf);
    long length = fs.getFileStatus(path).getLen();
    List<Range> ranges = ranges(length, SplitSize.of(spark, length));
    HadoopConf hc = new HadoopConf(conf);
    String file = path.toString();
    List<Scan> scans = jsc.parallelize(ranges, ranges.size())
        .map(r -> scan(FileSystem.get(new Path(file).toUri(), hc.get()), new Path(file), r)).collect();
    List<Piece> pieces = pieces(file, ranges, scans);
    long count = 0;
    CocoDetection first = null;
    for (Piece p : pieces) {
      if (count == 0 && p.count() > 0) {
        first = readFirst(fs, path, p.first());
      }
      count += p.count();
    }
    JavaRDD<Tuple2<Long, CocoDetection>> dets = jsc.parallelize(pieces, Math.max(1, pieces.size()))
        .flatMap(p -> read(FileSystem.get(new Path(file).toUri(), hc.get()), new Path(file), p));
    return new Detections(dets, first, count);
  }

  /** Loads one detection, given with its position in the file; null drops it. */
  @FunctionalInterface
  public interface Loader<T> {
    T load(long position, CocoDetection d);

    /** Whether it looks at masks; if not, they are skipped unread. */
    default boolean readsMasks() {
      return true;
    }

    /** Whether it looks at keypoints; if not, they are skipped unread. */
    default boolean readsKeypoints() {
      return true;
    }

    /**
     * The categories it loads (null: all); a detection of another category may be given to {@link
     * #load} with its image id and category alone ({@link CocoJsonReader#readDetection}), for the
     * image check every detection gets.
     */
    default java.util.function.IntPredicate categories() {
      return null;
    }
  }

  /**
   * The detections of {@code uri} (on {@code fs}) read in byte ranges of {@code splitBytes} (0: {@link
   * #inProcessSplit}) on this process's threads ({@link InParallel}) rather than Spark tasks
   * ({@code evaluate --engine local}), in file order, each through the loader that {@code
   * loaderFor} makes from the first detection ({@code null} if the file has none; pycocotools'
   * loadRes branch depends on it). One pass: each range is parsed whole, and its detections'
   * positions follow from the counts of the ranges before it, which the same chain check as Spark's
   * ({@link #pieces}) validates. A file that does not read in ranges (a record that does not parse,
   * a false boundary) is read again in one piece, which reads what a one-piece read reads and
   * fails with its message.
   */
  public static <T> List<T> readInProcess(FileSystem fs, String uri, long splitBytes,
      java.util.function.Function<CocoDetection, Loader<T>> loaderFor) throws IOException {
    Path path = new Path(uri);
    long length = fs.getFileStatus(path).getLen();
    List<Range> ranges = ranges(length, splitBytes > 0 ? splitBytes : inProcessSplit(length));
    CocoDetection first = readFirst(fs, path);
    Loader<T> loader = loaderFor.apply(first);
    boolean masks = loader.readsMasks();
    boolean keypoints = loader.readsKeypoints();
    java.util.function.IntPredicate categories = loader.categories();
    List<Parsed> parsed;
    List<Piece> pieces;
    try {
      parsed = InParallel.map(ranges, r -> unchecked(() -> parse(fs, path, r, masks, keypoints, categories)));
      pieces = pieces(path.toString(), ranges, parsed.stream().map(Parsed::scan).toList());
    } catch (CocoFormatException e) {
      if (ranges.size() == 1) {
        throw e;
      }
      return readInProcess(fs, uri, Long.MAX_VALUE, loaderFor);
    }
    List<List<T>> parts = InParallel.map(pieces, p -> {
      List<CocoDetection> ds = parsed.get(p.index()).detections();
      List<T> out = new ArrayList<>(ds.size());
      for (int j = 0; j < ds.size(); j++) {
        T v = loader.load(p.position() + j, ds.get(j));
        if (v != null) {
          out.add(v);
        }
      }
      return out;
    });
    List<T> all = new ArrayList<>();
    parts.forEach(all::addAll);
    return all;
  }

  /** Ranges for {@link #readInProcess}: four per core, so the cores finish together, of at least 4 MB. */
  static long inProcessSplit(long length) {
    return Math.max(4L << 20, length / (4L * Runtime.getRuntime().availableProcessors()));
  }

  /** A range read whole: what {@link #scan} finds, and the detections. */
  private record Parsed(Scan scan, List<CocoDetection> detections) {}

  /**
   * {@link #scan} that also parses each detection; its errors name a detection by its place in the
   * range, which is its place in the file only for the first range.
   */
  private static Parsed parse(FileSystem fs, Path path, Range r, boolean masks, boolean keypoints,
      java.util.function.IntPredicate categories) throws IOException {
    try (ArrayElements e = r.index() == 0 ? ArrayElements.wholeFile(fs, path, "results", NOT_AN_ARRAY)
        : openAtBoundary(fs, path, r)) {
      if (e == null) {
        return new Parsed(new Scan(r.index(), -1, -1, 0), List.of());
      }
      List<CocoDetection> out = new ArrayList<>();
      long first = -1;
      long off = e.next();
      while (!ArrayElements.isEnd(off) && off < r.end()) {
        if (out.isEmpty()) {
          first = off;
        }
        out.add(CocoJsonReader.readDetection(e.parser(), out.size(), masks, keypoints, categories));
        off = e.next();
      }
      return new Parsed(new Scan(r.index(), first, ArrayElements.isEnd(off) ? END : off, out.size()), out);
    } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
      throw new CocoFormatException("invalid JSON in COCO results file: " + x.getOriginalMessage(), x);
    }
  }

  private interface IoCall<T> {
    T call() throws IOException;
  }

  private static <T> T unchecked(IoCall<T> c) {
    try {
      return c.call();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Ranges of about {@code splitBytes} covering {@code [0, length)} (at least one). */
  static List<Range> ranges(long length, long splitBytes) {
    long size = Math.max(1, splitBytes);
    List<Range> out = new ArrayList<>();
    int i = 0;
    long start = 0;
    do {
      long end = length - start <= size + size / 10 ? length : start + size; // no tiny last range
      out.add(new Range(i++, start, end));
      start = end;
    } while (start < length);
    return out;
  }

  /** The first pass over one range (in a task). */
  static Scan scan(FileSystem fs, Path path, Range r) throws IOException {
    long from;
    try (ArrayElements e = r.index() == 0 ? ArrayElements.wholeFile(fs, path, "results", NOT_AN_ARRAY)
        : openAtBoundary(fs, path, r)) {
      if (e == null) {
        return new Scan(r.index(), -1, -1, 0);
      }
      from = e.next();
      long first = -1;
      int count = 0;
      long off = from;
      while (!ArrayElements.isEnd(off) && off < r.end()) {
        if (count == 0) {
          first = off;
        }
        e.parser().skipChildren();
        count++;
        off = e.next();
      }
      return new Scan(r.index(), first, ArrayElements.isEnd(off) ? END : off, count);
    } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
      throw new CocoFormatException("invalid JSON in COCO results file: " + x.getOriginalMessage()
          + (r.index() == 0 ? "" : " (" + where(path, r) + CLEAN_BOUNDARY_HINT + ")"), x);
    }
  }

  private static final String CLEAN_BOUNDARY_HINT = ": read from the first '},{' in the range; is every detection a "
      + "flat object? A file with lists of objects inside detections can be read in one piece: raise "
      + "spark.sql.files.maxPartitionBytes above its size";

  private static ArrayElements openAtBoundary(FileSystem fs, Path path, Range r) throws IOException {
    long b;
    try (FSDataInputStream in = fs.open(path)) {
      b = ElementBoundary.find(in, r.start(), r.end());
    }
    return b < 0 ? null : ArrayElements.at(fs, path, b, "results");
  }

  /**
   * Checks that the ranges' scans chain up (each starts where the one before stopped) and gives
   * each range with detections its first detection's position in the file.
   */
  static List<Piece> pieces(String file, List<Range> ranges, List<Scan> scans) {
    List<Piece> out = new ArrayList<>();
    long position = 0;
    long expected = -1; // where the next detection starts, per the range before
    for (int i = 0; i < scans.size(); i++) {
      Scan s = scans.get(i);
      Range r = ranges.get(i);
      if (i > 0) {
        boolean ok = s.first() < 0 ? expected >= r.end() : s.first() == expected;
        if (!ok) {
          throw new CocoFormatException("cannot split COCO results file " + file + " at byte " + r.start() + ": the range "
              + "before it ends before the detection at byte " + expected + ", but this range's first '},{' boundary "
              + "is " + (s.first() < 0 ? "beyond its end (byte " + r.end() + ")" : "at byte " + s.first())
              + " (" + CLEAN_BOUNDARY_HINT.substring(2) + ")");
        }
      }
      if (s.count() > 0) {
        out.add(new Piece(s.index(), s.first(), s.count(), position));
        position += s.count();
      }
      if (i == 0 || s.first() >= 0) {
        expected = s.next();
      }
    }
    if (expected != END) {
      throw new CocoFormatException("COCO results file " + file + ": no range reached the end of its array (byte "
          + expected + " is past every range)");
    }
    return out;
  }

  /** The second pass over one range (in a task): its detections, parsed as they are consumed, with their positions. */
  static Iterator<Tuple2<Long, CocoDetection>> read(FileSystem fs, Path path, Piece p) throws IOException {
    return ArrayElements.records(fs, path, p.first(), p.count(), p.position(), "results", "COCO results file",
        CocoJsonReader::readDetection);
  }

  /** The file's first detection, null if it has none. */
  private static CocoDetection readFirst(FileSystem fs, Path path) throws IOException {
    try (ArrayElements e = ArrayElements.wholeFile(fs, path, "results", NOT_AN_ARRAY)) {
      if (ArrayElements.isEnd(e.next())) {
        return null;
      }
      return CocoJsonReader.readDetection(e.parser(), 0);
    } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
      throw new CocoFormatException("invalid JSON in COCO results file: " + x.getOriginalMessage(), x);
    }
  }

  private static CocoDetection readFirst(FileSystem fs, Path path, long offset) throws IOException {
    try (ArrayElements e = ArrayElements.at(fs, path, offset, "results")) {
      e.next();
      return CocoJsonReader.readDetection(e.parser(), 0);
    } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
      throw new CocoFormatException("invalid JSON in COCO results file: " + x.getOriginalMessage(), x);
    }
  }

  private static String where(Path path, Range r) {
    return path + " bytes " + r.start() + "-" + r.end();
  }
}
