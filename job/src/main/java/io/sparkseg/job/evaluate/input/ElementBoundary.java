package io.sparkseg.job.evaluate.input;

import java.io.IOException;
import org.apache.hadoop.fs.FSDataInputStream;

/**
 * Finds where an element of a JSON array of flat objects starts inside a byte range: the first
 * {@code {} preceded by {@code }} and {@code ,} with only whitespace between. The bytes before the
 * range count, as the {@code }} or {@code ,} may lie before it.
 */
final class ElementBoundary {
  private static final int NONE = 0;
  private static final int AFTER_CLOSE = 1; // '}' seen
  private static final int AFTER_COMMA = 2; // '}' ',' seen

  private ElementBoundary() {}

  /** The offset of the first boundary {@code {} in {@code [start, end)}, or -1. */
  static long find(FSDataInputStream in, long start, long end) throws IOException {
    int state = stateBefore(in, start);
    byte[] buf = new byte[64 * 1024];
    long pos = start;
    in.seek(start);
    while (pos < end) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, end - pos));
      if (n < 0) {
        return -1;
      }
      for (int k = 0; k < n; k++) {
        byte b = buf[k];
        if (isSpace(b)) {
          continue;
        }
        if (b == '{' && state == AFTER_COMMA) {
          return pos + k;
        }
        state = b == '}' ? AFTER_CLOSE : b == ',' && state == AFTER_CLOSE ? AFTER_COMMA : NONE;
      }
      pos += n;
    }
    return -1;
  }

  /** The scan state at {@code pos} from the bytes before it (whitespace skipped backwards). */
  private static int stateBefore(FSDataInputStream in, long pos) throws IOException {
    byte[] buf = new byte[256];
    boolean comma = false;
    while (pos > 0) {
      int n = (int) Math.min(buf.length, pos);
      in.readFully(pos - n, buf, 0, n);
      for (int k = n - 1; k >= 0; k--) {
        byte b = buf[k];
        if (isSpace(b)) {
          continue;
        }
        if (b == ',' && !comma) {
          comma = true;
          continue;
        }
        return b == '}' ? (comma ? AFTER_COMMA : AFTER_CLOSE) : NONE;
      }
      pos -= n;
    }
    return NONE;
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\n' || b == '\r' || b == '\t';
  }
}
