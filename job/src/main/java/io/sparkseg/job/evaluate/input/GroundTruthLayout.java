package io.sparkseg.job.evaluate.input;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sparkseg.core.coco.CocoCategory;
import io.sparkseg.core.coco.CocoFormatException;
import io.sparkseg.core.coco.CocoJsonReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the records of a COCO annotation file are, found in one streaming pass over it on the
 * driver (Jackson's parser skips over every image and annotation without building it): the
 * categories, read whole as they are few, and the {@code images} and {@code annotations} arrays
 * as chunks of about {@code chunkBytes}, each the offset of its first record, that record's
 * position in its array and the record count. Executors then parse the chunks in parallel. The
 * driver holds a few numbers per chunk, whatever the file's size.
 *
 * @param images chunks of the {@code images} array(s), in file order
 * @param annotations chunks of the {@code annotations} array(s), in file order
 */
public record GroundTruthLayout(List<CocoCategory> categories, List<Chunk> images, List<Chunk> annotations) {

  /** Records {@code [firstIndex, firstIndex + count)} of an array, the first at byte {@code start}. */
  public record Chunk(long start, int firstIndex, int count) implements Serializable {}

  /** Scans the file; errors are those of {@link CocoJsonReader#readDataset}. */
  public static GroundTruthLayout scan(InputStream in, long chunkBytes) throws IOException {
    List<CocoCategory> categories = new ArrayList<>();
    List<Chunk> images = new ArrayList<>();
    List<Chunk> annotations = new ArrayList<>();
    try (JsonParser p = CocoJsonReader.parser(in)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new CocoFormatException("a COCO annotation file must be a JSON object with images, categories and annotations");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        switch (field) {
          case "images" -> chunks(p, t, "images", images, chunkBytes);
          case "annotations" -> chunks(p, t, "annotations", annotations, chunkBytes);
          case "categories" -> {
            requireArray(t, "categories");
            while (nextObject(p, "categories")) {
              categories.add(CocoJsonReader.readCategory(p, categories.size()));
            }
          }
          default -> p.skipChildren();
        }
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new CocoFormatException("invalid JSON in COCO annotation file: " + e.getOriginalMessage(), e);
    }
    return new GroundTruthLayout(categories, images, annotations);
  }

  /** Records of all chunks. */
  public static long count(List<Chunk> chunks) {
    return chunks.stream().mapToLong(Chunk::count).sum();
  }

  private static void chunks(JsonParser p, JsonToken t, String what, List<Chunk> out, long chunkBytes)
      throws IOException {
    requireArray(t, what);
    int index = Math.toIntExact(count(out)); // a repeated key appends, as the one-piece reader does
    long start = -1;
    int first = index;
    while (nextObject(p, what)) {
      long off = p.currentTokenLocation().getByteOffset();
      if (start >= 0 && off - start >= chunkBytes) {
        out.add(new Chunk(start, first, index - first));
        start = -1;
      }
      if (start < 0) {
        start = off;
        first = index;
      }
      index++;
      p.skipChildren();
    }
    if (start >= 0) {
      out.add(new Chunk(start, first, index - first));
    }
  }

  private static void requireArray(JsonToken t, String what) {
    if (t != JsonToken.START_ARRAY) {
      throw new CocoFormatException("'" + what + "' must be an array");
    }
  }

  private static boolean nextObject(JsonParser p, String what) throws IOException {
    JsonToken t = p.nextToken();
    if (t == JsonToken.END_ARRAY) {
      return false;
    }
    if (t != JsonToken.START_OBJECT) {
      throw new CocoFormatException("'" + what + "' must contain only objects, found " + t.asString());
    }
    return true;
  }
}
