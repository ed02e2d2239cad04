package io.sparkseg.job.run;

import java.util.Arrays;
import java.util.Iterator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A set of image ids as a sorted {@code long[]}: 8 bytes an id on the driver, no object per image.
 * What a resume needs to know of a driver-listed run's committed (or skipped) images.
 */
public final class SortedIds {
  private static final long[] NONE = new long[0];

  private SortedIds() {}

  /** The distinct values of the first column of {@code ids} (a long), read partition by partition. */
  public static long[] collect(Dataset<Row> ids) {
    long[] out = new long[1024];
    int n = 0;
    Iterator<Row> it = ids.toLocalIterator();
    while (it.hasNext()) {
      if (n == out.length) {
        out = Arrays.copyOf(out, out.length * 2);
      }
      out[n++] = it.next().getLong(0);
    }
    return sortedDistinct(out, n);
  }

  /** The first {@code n} values of {@code ids}, sorted, repeats dropped (may reuse the array). */
  public static long[] sortedDistinct(long[] ids, int n) {
    if (n == 0) {
      return NONE;
    }
    Arrays.sort(ids, 0, n);
    int w = 1;
    for (int r = 1; r < n; r++) {
      if (ids[r] != ids[w - 1]) {
        ids[w++] = ids[r];
      }
    }
    return w == ids.length ? ids : Arrays.copyOf(ids, w);
  }

  /** Whether sorted {@code ids} holds {@code id}. */
  public static boolean contains(long[] ids, long id) {
    return ids.length > 0 && Arrays.binarySearch(ids, id) >= 0;
  }

  public static long[] none() {
    return NONE;
  }
}
