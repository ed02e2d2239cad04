package io.sparkseg.core.coco;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.Arrays;

/**
 * A record field that should be a list of numbers ({@code bbox}, {@code keypoints}, a polygon), as
 * read: the numbers, or what is wrong with it, so that the error can name the record once the
 * whole record is read. Read from a tree ({@link #of}) or straight from the tokens ({@link #read},
 * no node per number: results files hold millions of them).
 *
 * @param values the numbers (those before the first non-number, if any)
 * @param notAList the value, if it is not a list
 * @param notANumber the first element that is not a number, if any
 */
record JsonNumbers(double[] values, JsonNode notAList, JsonNode notANumber) {
  private static final double[] NONE = new double[0];

  static JsonNumbers of(JsonNode a) {
    if (!a.isArray()) {
      return new JsonNumbers(NONE, a, null);
    }
    double[] v = new double[a.size()];
    for (int i = 0; i < v.length; i++) {
      JsonNode e = a.get(i);
      if (!e.isNumber()) {
        return new JsonNumbers(NONE, null, e);
      }
      v[i] = e.asDouble();
    }
    return new JsonNumbers(v, null, null);
  }

  /** Reads the value whose first token {@code t} the parser is at; leaves the parser at its last token. */
  static JsonNumbers read(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.START_ARRAY) {
      return new JsonNumbers(NONE, p.readValueAsTree(), null);
    }
    double[] v = new double[8];
    int n = 0;
    JsonNode bad = null;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (t == JsonToken.VALUE_NUMBER_FLOAT || t == JsonToken.VALUE_NUMBER_INT) {
        if (n == v.length) {
          v = Arrays.copyOf(v, 2 * n);
        }
        v[n++] = p.getDoubleValue();
      } else {
        JsonNode e = p.readValueAsTree();
        if (bad == null) {
          bad = e;
        }
      }
    }
    return bad != null ? new JsonNumbers(NONE, null, bad) : new JsonNumbers(Arrays.copyOf(v, n), null, null);
  }

  /** Whether the value is a list without elements. */
  boolean isEmptyList() {
    return notAList == null && notANumber == null && values.length == 0;
  }

  /** The numbers; a {@link CocoFormatException} naming {@code rec} and {@code field} if the value is not a list of numbers. */
  double[] values(String field, String rec) {
    if (notAList != null) {
      throw new CocoFormatException(rec + ": " + field + " must be a list of numbers, got " + notAList.getNodeType());
    }
    if (notANumber != null) {
      throw new CocoFormatException(rec + ": " + field + " must be numeric, found " + notANumber);
    }
    return values;
  }
}
