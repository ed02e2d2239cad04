package io.sparkseg.job.evaluate.input;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sparkseg.core.coco.CocoFormatException;
import io.sparkseg.core.coco.CocoJsonReader;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import scala.Tuple2;

/**
 * The objects of a JSON array in a file on a Hadoop FS, read with Jackson's streaming parser from
 * any element's first byte on: the parser sees a {@code [} and then the file from there, so each
 * element is a complete JSON value and its byte offset in the file is known. The caller reads the
 * element at the parser ({@code readValueAsTree}, {@code skipChildren}).
 */
final class ArrayElements implements Closeable {
  private static final long END = -1;

  private final JsonParser parser;
  private final long base;
  private final String what;

  private ArrayElements(JsonParser parser, long base, String what) {
    this.parser = parser;
    this.base = base;
    this.what = what;
  }

  /** The elements from file offset {@code from}, where an element's {@code {} is; {@code what} names the array. */
  static ArrayElements at(FileSystem fs, Path path, long from, String what) throws IOException {
    FSDataInputStream in = fs.open(path);
    try {
      in.seek(from);
      InputStream s = new SequenceInputStream(new ByteArrayInputStream(new byte[] {'['}), in);
      ArrayElements e = new ArrayElements(CocoJsonReader.parser(s), from - 1, what);
      e.parser.nextToken(); // the '[' above
      return e;
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /** The elements of the array that is the whole file (a COCO results file). */
  static ArrayElements wholeFile(FileSystem fs, Path path, String what, String notAnArray) throws IOException {
    ArrayElements e = new ArrayElements(CocoJsonReader.parser((InputStream) fs.open(path)), 0, what);
    try {
      if (e.parser.nextToken() != JsonToken.START_ARRAY) {
        throw new CocoFormatException(notAnArray);
      }
      return e;
    } catch (IOException | RuntimeException x) {
      e.close();
      throw x;
    }
  }

  /**
   * Moves to the next element: its byte offset in the file, the parser at its START_OBJECT; or
   * {@link #isEnd} at the array's end.
   */
  long next() throws IOException {
    JsonToken t = parser.nextToken();
    if (t == JsonToken.END_ARRAY) {
      return END;
    }
    if (t != JsonToken.START_OBJECT) {
      throw new CocoFormatException("'" + what + "' must contain only objects, found "
          + (t == null ? "the end of the file" : t.asString()));
    }
    return base + parser.currentTokenLocation().getByteOffset();
  }

  static boolean isEnd(long offset) {
    return offset == END;
  }

  /** Reads one record at the parser's START_OBJECT; {@code position} is its place in the array. */
  @FunctionalInterface
  interface RecordReader<T> {
    T read(JsonParser p, int position) throws IOException;
  }

  /**
   * The {@code count} records from byte {@code from} on (in a task), parsed as they are consumed,
   * each with its position in the array ({@code firstPosition} for the first); {@code file} names
   * the kind of file in JSON syntax errors ("COCO results file").
   */
  static <T> Iterator<Tuple2<Long, T>> records(FileSystem fs, Path path, long from, int count, long firstPosition,
      String what, String file, RecordReader<T> reader) throws IOException {
    ArrayElements e = at(fs, path, from, what);
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) t -> e.closeQuietly());
    }
    return new Iterator<>() {
      private int j;

      @Override
      public boolean hasNext() {
        if (j < count) {
          return true;
        }
        e.closeQuietly();
        return false;
      }

      @Override
      public Tuple2<Long, T> next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        long position = firstPosition + j;
        try {
          if (isEnd(e.next())) {
            throw new IllegalStateException(path + " changed while read: '" + what + "' from byte " + from
                + " ended after " + j + " of its " + count + " records");
          }
          T record = reader.read(e.parser, Math.toIntExact(position));
          j++;
          return new Tuple2<>(position, record);
        } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
          throw new CocoFormatException("invalid JSON in " + file + ": " + x.getOriginalMessage(), x);
        } catch (IOException x) {
          throw new UncheckedIOException("reading " + path + " from byte " + from, x);
        }
      }
    };
  }

  private void closeQuietly() {
    try {
      close();
    } catch (IOException ignored) {
      // read to the end already, or the task ended
    }
  }

  JsonParser parser() {
    return parser;
  }

  @Override
  public void close() throws IOException {
    parser.close();
  }
}
