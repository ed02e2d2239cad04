package io.sparkseg.core.coco;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import io.sparkseg.core.mask.Rle;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads COCO annotation files and results files from a stream with Jackson's streaming parser,
 * one record at a time, so large files need memory only for the records themselves; a results
 * file's detections are read from the tokens without a tree ({@link JsonNumbers}). Errors are
 * {@link CocoFormatException}s naming the record, e.g. {@code "annotation id 17: bbox must have
 * 4 numbers"}.
 */
public final class CocoJsonReader {
  // correctly rounded like Double.parseDouble (the same doubles), several times faster
  private static final ObjectMapper MAPPER =
      new ObjectMapper(JsonFactory.builder().enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build());

  private CocoJsonReader() {}

  /** A streaming parser over {@code in} with this reader's settings (for readers of parts of a file). */
  public static JsonParser parser(InputStream in) throws IOException {
    return MAPPER.createParser(in);
  }

  /** Reads a COCO annotation file ({@code images}, {@code categories}, {@code annotations}). */
  public static CocoDataset readDataset(InputStream in) throws IOException {
    List<CocoImage> images = new ArrayList<>();
    List<CocoCategory> categories = new ArrayList<>();
    List<CocoAnnotation> annotations = new ArrayList<>();
    try (JsonParser p = MAPPER.createParser(in)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new CocoFormatException("a COCO annotation file must be a JSON object with images, categories and annotations");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        switch (field) {
          case "images" -> readArray(p, t, "images", n -> images.add(image(n, images.size())));
          case "categories" -> readArray(p, t, "categories", n -> categories.add(category(n, categories.size())));
          case "annotations" -> readArray(p, t, "annotations", n -> annotations.add(annotation(n, annotations.size())));
          default -> p.skipChildren();
        }
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new CocoFormatException("invalid JSON in COCO annotation file: " + e.getOriginalMessage(), e);
    }
    return new CocoDataset(images, categories, annotations);
  }

  /** Reads a COCO results file: a JSON array of detections, in file order. */
  public static List<CocoDetection> readResults(InputStream in) throws IOException {
    List<CocoDetection> out = new ArrayList<>();
    readResults(in, out::add);
    return out;
  }

  /** Streams the detections of a COCO results file to {@code sink}, in file order. */
  public static void readResults(InputStream in, Consumer<CocoDetection> sink) throws IOException {
    try (JsonParser p = MAPPER.createParser(in)) {
      JsonToken t = p.nextToken();
      if (t != JsonToken.START_ARRAY) {
        throw new CocoFormatException("a COCO results file must be a JSON array of detections");
      }
      int index = 0;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t != JsonToken.START_OBJECT) {
          throw new CocoFormatException("'results' must contain only objects, found " + t.asString());
        }
        sink.accept(detection(p, index++, true, true, null));
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new CocoFormatException("invalid JSON in COCO results file: " + e.getOriginalMessage(), e);
    }
  }

  private static void readArray(JsonParser p, JsonToken t, String what, Consumer<JsonNode> each) throws IOException {
    if (t != JsonToken.START_ARRAY) {
      throw new CocoFormatException("'" + what + "' must be an array");
    }
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (t != JsonToken.START_OBJECT) {
        throw new CocoFormatException("'" + what + "' must contain only objects, found " + t.asString());
      }
      JsonNode n = p.readValueAsTree();
      each.accept(n);
    }
  }

  // ------------------------------------------- one record at a time (parallel readers)

  /** The image record at the parser's START_OBJECT; {@code index} is its position in {@code images}. */
  public static CocoImage readImage(JsonParser p, int index) throws IOException {
    return image(p.readValueAsTree(), index);
  }

  /** The annotation record at the parser's START_OBJECT; {@code index} is its position in {@code annotations}. */
  public static CocoAnnotation readAnnotation(JsonParser p, int index) throws IOException {
    return annotation(p.readValueAsTree(), index);
  }

  /** The category record at the parser's START_OBJECT; {@code index} is its position in {@code categories}. */
  public static CocoCategory readCategory(JsonParser p, int index) throws IOException {
    return category(p.readValueAsTree(), index);
  }

  /** The detection at the parser's START_OBJECT; {@code index} is its position in the results file. */
  public static CocoDetection readDetection(JsonParser p, int index) throws IOException {
    return detection(p, index, true, true, null);
  }

  /**
   * As above; without {@code masks} the segmentation, without {@code keypoints} the keypoints are
   * skipped unread (null), for an evaluation that does not look at them.
   */
  public static CocoDetection readDetection(JsonParser p, int index, boolean masks, boolean keypoints)
      throws IOException {
    return detection(p, index, masks, keypoints, null);
  }

  /**
   * As above; a detection whose {@code category_id} {@code category} does not want is read for its
   * image id alone ({@link CocoDetection#imageOnly}): the other fields after the category are
   * skipped unread.
   */
  public static CocoDetection readDetection(JsonParser p, int index, boolean masks, boolean keypoints,
      java.util.function.IntPredicate category) throws IOException {
    return detection(p, index, masks, keypoints, category);
  }

  // ---------------------------------------------------------------- records

  static CocoImage image(JsonNode n, int index) {
    String rec = "image #" + index;
    long id = requiredLong(n, "id", rec);
    rec = "image id " + id;
    int width = optionalInt(n, "width", rec, -1);
    int height = optionalInt(n, "height", rec, -1);
    JsonNode fn = n.get("file_name");
    return new CocoImage(id, width, height, fn == null || fn.isNull() ? null : fn.asText());
  }

  static CocoCategory category(JsonNode n, int index) {
    String rec = "category #" + index;
    int id = (int) requiredInt(n, "id", rec);
    rec = "category id " + id;
    String name = text(n, "name");
    String sup = text(n, "supercategory");
    List<String> kps = new ArrayList<>();
    JsonNode k = n.get("keypoints");
    if (k != null && !k.isNull()) {
      if (!k.isArray()) {
        throw new CocoFormatException(rec + ": keypoints must be a list of names");
      }
      k.forEach(e -> kps.add(e.asText()));
    }
    List<int[]> skeleton = new ArrayList<>();
    JsonNode s = n.get("skeleton");
    if (s != null && !s.isNull()) {
      if (!s.isArray()) {
        throw new CocoFormatException(rec + ": skeleton must be a list of [a, b] pairs");
      }
      for (JsonNode pair : s) {
        if (!pair.isArray() || pair.size() != 2 || !pair.get(0).canConvertToInt() || !pair.get(1).canConvertToInt()) {
          throw new CocoFormatException(rec + ": skeleton entries must be [a, b] pairs of keypoint numbers");
        }
        skeleton.add(new int[] {pair.get(0).asInt(), pair.get(1).asInt()});
      }
    }
    double[] sigmas = null;
    if (n.hasNonNull("sigmas")) {
      sigmas = numbers(n.get("sigmas"), "sigmas", rec);
      if (sigmas.length != kps.size()) {
        throw new CocoFormatException(rec + ": has " + sigmas.length + " sigmas for " + kps.size() + " keypoints");
      }
    }
    return new CocoCategory(id, name, sup, kps, skeleton, sigmas);
  }

  static CocoAnnotation annotation(JsonNode n, int index) {
    String rec = "annotation #" + index;
    long id = requiredLong(n, "id", rec);
    rec = "annotation id " + id;
    long imageId = requiredLong(n, "image_id", rec);
    int categoryId = (int) requiredInt(n, "category_id", rec);
    boolean crowd = false;
    JsonNode c = n.get("iscrowd");
    if (c != null && !c.isNull()) {
      if (c.isBoolean()) {
        crowd = c.booleanValue();
      } else if (c.isNumber()) {
        crowd = c.asDouble() != 0;
      } else {
        throw new CocoFormatException(rec + ": iscrowd must be 0 or 1, got " + c);
      }
    }
    Double area = null;
    if (n.hasNonNull("area")) {
      area = number(n.get("area"), "area", rec);
    }
    double[] bbox = null;
    if (n.hasNonNull("bbox")) {
      bbox = box(JsonNumbers.of(n.get("bbox")), rec);
    }
    Segmentation seg = null;
    if (n.hasNonNull("segmentation")) {
      seg = segmentation(n.get("segmentation"), rec, false);
    }
    double[] kps = null;
    Integer numKps = null;
    if (n.hasNonNull("keypoints")) {
      kps = keypoints(JsonNumbers.of(n.get("keypoints")), rec);
    }
    if (n.hasNonNull("num_keypoints")) {
      numKps = (int) requiredInt(n, "num_keypoints", rec);
    } else if (kps != null) {
      int v = 0;
      for (int i = 2; i < kps.length; i += 3) {
        if (kps[i] > 0) {
          v++;
        }
      }
      numKps = v;
    }
    return new CocoAnnotation(id, imageId, categoryId, crowd, area, bbox, seg, kps, numKps);
  }

  /** Reads the detection whose START_OBJECT the parser is at, up to its END_OBJECT. */
  static CocoDetection detection(JsonParser p, int index, boolean masks, boolean keypoints,
      java.util.function.IntPredicate category) throws IOException {
    JsonNode imageIdNode = null;
    JsonNode categoryIdNode = null;
    JsonNode s = null;
    JsonNumbers b = null;
    Object segValue = null; // a List<JsonNumbers> of polygons or, for anything else, the JsonNode
    JsonNumbers k = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      boolean isNull = t == JsonToken.VALUE_NULL;
      switch (field) {
        case "image_id" -> imageIdNode = scalar(p, t);
        case "category_id" -> {
          categoryIdNode = scalar(p, t);
          if (category != null && categoryIdNode.canConvertToInt() && !category.test(categoryIdNode.asInt())) {
            // the rest unread but for the image id, which loadRes checks for every detection
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              boolean isImageId = p.currentName().equals("image_id");
              JsonToken v = p.nextToken();
              if (isImageId) {
                imageIdNode = scalar(p, v);
              } else {
                p.skipChildren();
              }
            }
            long imageId = requiredLongValue(imageIdNode, "image_id", "detection #" + index);
            return CocoDetection.imageOnly(imageId, categoryIdNode.asInt());
          }
        }
        case "score" -> s = scalar(p, t);
        case "bbox" -> b = isNull ? null : JsonNumbers.read(p, t);
        case "segmentation" -> {
          if (isNull || !masks) {
            p.skipChildren();
          } else {
            segValue = t == JsonToken.START_ARRAY ? polygons(p) : p.readValueAsTree();
          }
        }
        case "keypoints" -> {
          if (isNull || !keypoints) {
            p.skipChildren();
          } else {
            k = JsonNumbers.read(p, t);
          }
        }
        default -> p.skipChildren();
      }
    }
    String rec = "detection #" + index;
    long imageId = requiredLongValue(imageIdNode, "image_id", rec);
    rec = "detection #" + index + " (image_id " + imageId + ")";
    int categoryId = (int) requiredIntValue(categoryIdNode, "category_id", rec);
    if (s == null || s.isNull()) {
      throw new CocoFormatException(rec + ": score is missing");
    }
    double score = number(s, "score", rec);
    if (Double.isNaN(score)) {
      throw new CocoFormatException(rec + ": score is not a number");
    }
    double[] bbox = b == null || b.isEmptyList() ? null : box(b, rec);
    Segmentation seg = null;
    if (segValue instanceof JsonNode n) {
      seg = segmentation(n, rec, true);
    } else if (segValue != null) {
      @SuppressWarnings("unchecked")
      List<JsonNumbers> polys = (List<JsonNumbers>) segValue;
      seg = polygonSet(polys, rec);
    }
    double[] kps = k == null ? null : keypoints(k, rec);
    return new CocoDetection(imageId, categoryId, score, bbox, seg, kps);
  }

  /**
   * The value at token {@code t}: a number as the node {@code readValueAsTree} would make, without
   * its deserializer (three per detection); anything else through it.
   */
  private static JsonNode scalar(JsonParser p, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NUMBER_INT) {
      JsonParser.NumberType n = p.getNumberType();
      if (n == JsonParser.NumberType.INT) {
        return IntNode.valueOf(p.getIntValue());
      }
      if (n == JsonParser.NumberType.LONG) {
        return LongNode.valueOf(p.getLongValue());
      }
    } else if (t == JsonToken.VALUE_NUMBER_FLOAT) {
      return DoubleNode.valueOf(p.getDoubleValue());
    }
    return p.readValueAsTree();
  }

  /** Reads a list of polygons (the parser is at its START_ARRAY) without a tree. */
  private static List<JsonNumbers> polygons(JsonParser p) throws IOException {
    List<JsonNumbers> polys = new ArrayList<>(1);
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      polys.add(JsonNumbers.read(p, t));
    }
    return polys;
  }

  private static Segmentation polygonSet(List<JsonNumbers> polys, String rec) {
    if (polys.isEmpty()) {
      throw new CocoFormatException(rec + ": segmentation is an empty list of polygons");
    }
    List<double[]> out = new ArrayList<>(polys.size());
    for (int i = 0; i < polys.size(); i++) {
      out.add(polys.get(i).values("segmentation polygon " + i, rec));
    }
    return new Segmentation.PolygonSet(out);
  }

  /**
   * The segmentation value {@code s}; with {@code lazyMasks}, a compressed RLE is decoded and
   * checked when first used ({@link Rle#ofCompressed}: a results file's masks, which bbox and
   * keypoints evaluations never look into).
   */
  static Segmentation segmentation(JsonNode s, String rec, boolean lazyMasks) {
    if (s.isArray()) {
      List<JsonNumbers> polys = new ArrayList<>(s.size());
      for (JsonNode p : s) {
        polys.add(JsonNumbers.of(p));
      }
      return polygonSet(polys, rec);
    }
    if (!s.isObject()) {
      throw new CocoFormatException(rec + ": segmentation must be a list of polygons or an RLE object, got " + s.getNodeType());
    }
    JsonNode size = s.get("size");
    if (size == null || !size.isArray() || size.size() != 2 || !size.get(0).canConvertToInt() || !size.get(1).canConvertToInt()) {
      throw new CocoFormatException(rec + ": RLE segmentation needs \"size\": [height, width]");
    }
    int h = size.get(0).asInt();
    int w = size.get(1).asInt();
    JsonNode counts = s.get("counts");
    try {
      if (counts == null || counts.isNull()) {
        throw new CocoFormatException(rec + ": RLE segmentation has no counts");
      } else if (counts.isTextual()) {
        String c = counts.asText();
        return new Segmentation.RleMask(lazyMasks ? Rle.ofCompressed(h, w, c) : Rle.fromCompressedString(h, w, c), true);
      } else if (counts.isArray()) {
        long[] c = new long[counts.size()];
        for (int i = 0; i < c.length; i++) {
          JsonNode e = counts.get(i);
          if (!e.isIntegralNumber() && !(e.isNumber() && e.asDouble() == Math.rint(e.asDouble()))) {
            throw new CocoFormatException(rec + ": RLE counts must be integers, found " + e);
          }
          c[i] = e.asLong();
        }
        return new Segmentation.RleMask(Rle.fromUncompressed(h, w, c), false);
      } else {
        throw new CocoFormatException(rec + ": RLE counts must be a string or a list of integers");
      }
    } catch (CocoFormatException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new CocoFormatException(rec + ": bad RLE segmentation: " + e.getMessage(), e);
    }
  }

  private static double[] box(JsonNumbers b, String rec) {
    double[] v = b.values("bbox", rec);
    if (v.length != 4) {
      throw new CocoFormatException(rec + ": bbox must have 4 numbers [x, y, width, height], got " + v.length);
    }
    return v;
  }

  private static double[] keypoints(JsonNumbers k, String rec) {
    double[] v = k.values("keypoints", rec);
    if (v.length % 3 != 0) {
      throw new CocoFormatException(rec + ": keypoints must be [x, y, v] triples, got " + v.length + " numbers");
    }
    return v;
  }

  private static double[] numbers(JsonNode a, String field, String rec) {
    return JsonNumbers.of(a).values(field, rec);
  }

  private static double number(JsonNode n, String field, String rec) {
    if (!n.isNumber()) {
      throw new CocoFormatException(rec + ": " + field + " must be numeric, found " + n);
    }
    return n.asDouble();
  }

  private static long requiredLong(JsonNode n, String field, String rec) {
    return requiredLongValue(n.get(field), field, rec);
  }

  /** {@code v}, the value of {@code field} (null if absent), as a long. */
  private static long requiredLongValue(JsonNode v, String field, String rec) {
    if (v == null || v.isNull()) {
      throw new CocoFormatException(rec + ": " + field + " is missing");
    }
    if (v.isIntegralNumber() && v.canConvertToLong()) {
      return v.asLong();
    }
    if (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()) && Math.abs(v.asDouble()) < 9e15) {
      return (long) v.asDouble();
    }
    throw new CocoFormatException(rec + ": " + field + " must be an integer, found " + v);
  }

  private static long requiredInt(JsonNode n, String field, String rec) {
    return requiredIntValue(n.get(field), field, rec);
  }

  private static long requiredIntValue(JsonNode value, String field, String rec) {
    long v = requiredLongValue(value, field, rec);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new CocoFormatException(rec + ": " + field + " " + v + " is out of range");
    }
    return v;
  }

  private static int optionalInt(JsonNode n, String field, String rec, int dflt) {
    return n.hasNonNull(field) ? (int) requiredInt(n, field, rec) : dflt;
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
