package io.sparkseg.core.coco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.testing.CocoVectors;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading and writing COCO annotation and results files, and the errors for bad input. */
class CocoJsonReaderTest {
  private static InputStream json(String s) {
    return new ByteArrayInputStream(s.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
  }

  private static CocoDataset dataset(String annotations) throws IOException {
    return CocoJsonReader.readDataset(json("{'images':[{'id':1,'width':10,'height':8,'file_name':'a.jpg'}],"
        + "'categories':[{'id':1,'name':'person','keypoints':['a','b'],'skeleton':[[1,2]]},{'id':3,'name':'car'}],"
        + "'annotations':[" + annotations + "]}"));
  }

  private static void assertError(String expectedPart, org.junit.jupiter.api.function.Executable ex) {
    CocoFormatException e = assertThrows(CocoFormatException.class, ex);
    assertTrue(e.getMessage().contains(expectedPart), "'" + e.getMessage() + "' should contain '" + expectedPart + "'");
  }

  @Test
  void readsAllSegmentationForms() throws IOException {
    CocoDataset ds = dataset("{'id':5,'image_id':1,'category_id':3,'iscrowd':0,'area':12.5,'bbox':[1,2,3,4],"
        + "'segmentation':[[1,1,5,1,5,5]]},"
        + "{'id':6,'image_id':1,'category_id':3,'iscrowd':1,'area':3,'bbox':[0,0,1,3],"
        + "'segmentation':{'size':[8,10],'counts':[0,3,77]}},"
        + "{'id':7,'image_id':1,'category_id':1,'iscrowd':0,'area':3,'bbox':[0,0,1,3],"
        + "'segmentation':{'size':[8,10],'counts':'03]2'},'keypoints':[1,2,2,0,0,0]}");
    assertEquals(3, ds.annotations().size());
    assertTrue(ds.annotation(5).segmentation() instanceof Segmentation.PolygonSet);
    Segmentation.RleMask un = (Segmentation.RleMask) ds.annotation(6).segmentation();
    assertFalse(un.compressed());
    assertEquals(3, un.rle().area());
    Segmentation.RleMask cm = (Segmentation.RleMask) ds.annotation(7).segmentation();
    assertTrue(cm.compressed());
    assertEquals(un.rle(), cm.rle());
    assertEquals(1, ds.annotation(7).numKeypoints());
    assertEquals(List.of("a", "b"), ds.category(1).keypoints());
    assertArrayEquals(new int[] {1}, ds.keypointCategoryIds());
    assertArrayEquals(new int[] {1, 3}, ds.categoryIds());
    assertEquals(12.5, ds.annotation(5).area());
    assertTrue(ds.annotation(6).iscrowd());
  }

  @Test
  void missingOptionalFieldsAreNull() throws IOException {
    CocoDataset ds = dataset("{'id':5,'image_id':1,'category_id':3}");
    CocoAnnotation a = ds.annotation(5);
    assertNull(a.area());
    assertNull(a.bbox());
    assertNull(a.segmentation());
    assertFalse(a.iscrowd());
  }

  @Test
  void badAnnotationsNameTheRecord() {
    assertError("annotation #0: id is missing", () -> dataset("{'image_id':1,'category_id':3}"));
    assertError("annotation id 17: image_id is missing", () -> dataset("{'id':17,'category_id':3}"));
    assertError("annotation id 17: category_id must be an integer", () -> dataset("{'id':17,'image_id':1,'category_id':'x'}"));
    assertError("annotation id 17: bbox must have 4 numbers", () -> dataset("{'id':17,'image_id':1,'category_id':3,'bbox':[1,2,3]}"));
    assertError("annotation id 17: bbox must be numeric", () -> dataset("{'id':17,'image_id':1,'category_id':3,'bbox':[1,2,'a',4]}"));
    assertError("annotation id 17: area must be numeric", () -> dataset("{'id':17,'image_id':1,'category_id':3,'area':'big'}"));
    assertError("annotation id 17: bad RLE segmentation: RLE counts string has invalid character",
        () -> dataset("{'id':17,'image_id':1,'category_id':3,'segmentation':{'size':[8,10],'counts':'0 3'}}"));
    assertError("annotation id 17: bad RLE segmentation: RLE runs sum to 3 pixels",
        () -> dataset("{'id':17,'image_id':1,'category_id':3,'segmentation':{'size':[8,10],'counts':[0,3]}}"));
    assertError("annotation id 17: RLE segmentation needs \"size\"",
        () -> dataset("{'id':17,'image_id':1,'category_id':3,'segmentation':{'counts':'03'}}"));
    assertError("annotation id 17: segmentation is an empty list",
        () -> dataset("{'id':17,'image_id':1,'category_id':3,'segmentation':[]}"));
    assertError("annotation id 17: segmentation polygon 0 must be a list of numbers",
        () -> dataset("{'id':17,'image_id':1,'category_id':3,'segmentation':[1,2,3,4,5,6]}"));
    assertError("annotation id 17: keypoints must be [x, y, v] triples",
        () -> dataset("{'id':17,'image_id':1,'category_id':1,'keypoints':[1,2]}"));
    assertError("annotation id 17: segmentation must be a list of polygons or an RLE object",
        () -> dataset("{'id':17,'image_id':1,'category_id':3,'segmentation':'x'}"));
  }

  @Test
  void badFilesAreRejected() {
    assertError("must be a JSON object", () -> CocoJsonReader.readDataset(json("[]")));
    assertError("'annotations' must be an array", () -> CocoJsonReader.readDataset(json("{'annotations':{}}")));
    assertError("invalid JSON", () -> CocoJsonReader.readDataset(json("{'images':[{'id':1,}]}")));
    assertError("image #0: id is missing", () -> CocoJsonReader.readDataset(json("{'images':[{'width':3}]}")));
    assertError("category id 1: has 1 sigmas for 2 keypoints",
        () -> CocoJsonReader.readDataset(json("{'categories':[{'id':1,'keypoints':['a','b'],'sigmas':[0.1]}]}")));
    assertError("must be a JSON array", () -> CocoJsonReader.readResults(json("{}")));
    assertError("detection #1 (image_id 4): score is missing",
        () -> CocoJsonReader.readResults(json("[{'image_id':4,'category_id':1,'score':0.5},{'image_id':4,'category_id':1}]")));
    assertError("detection #0: image_id is missing", () -> CocoJsonReader.readResults(json("[{'category_id':1,'score':1}]")));
  }

  @Test
  void unknownFieldsAreSkipped() throws IOException {
    CocoDataset ds = CocoJsonReader.readDataset(json("{'info':{'a':[1,{'b':2}]},'licenses':[],'images':[{'id':2,'extra':{'x':1}}]}"));
    assertEquals(1, ds.images().size());
    assertEquals(-1, ds.image(2).width());
  }

  @Test
  void detectionsAreReadInAnyFieldOrder() throws IOException {
    List<CocoDetection> d = CocoJsonReader.readResults(json("[{'score':0.5,'keypoints':[1,2.5,1,3,4,0],'extra':{'a':[1]},"
        + "'segmentation':[[1,1,5,1,5.5,5],[0,0,1,0,1,1]],'bbox':[1,2,3,4],'category_id':3,'image_id':9},"
        + "{'image_id':9,'category_id':1,'score':1,'bbox':[],'segmentation':{'counts':'03]2','size':[8,10]},'keypoints':null}]"));
    assertEquals(2, d.size());
    assertEquals(9, d.get(0).imageId());
    assertEquals(3, d.get(0).categoryId());
    assertArrayEquals(new double[] {1, 2, 3, 4}, d.get(0).bbox());
    assertArrayEquals(new double[] {1, 2.5, 1, 3, 4, 0}, d.get(0).keypoints());
    List<double[]> polys = ((Segmentation.PolygonSet) d.get(0).segmentation()).polygons();
    assertArrayEquals(new double[] {1, 1, 5, 1, 5.5, 5}, polys.get(0));
    assertEquals(2, polys.size());
    assertNull(d.get(1).bbox(), "an empty bbox is no bbox");
    assertNull(d.get(1).keypoints());
    assertEquals(3, ((Segmentation.RleMask) d.get(1).segmentation()).rle().area());
  }

  @Test
  void detectionErrorsNameTheImageWhereverItsIdIs() {
    assertError("detection #0 (image_id 4): bbox must be numeric, found \"a\"",
        () -> CocoJsonReader.readResults(json("[{'bbox':[1,'a',3,4],'category_id':1,'score':1,'image_id':4}]")));
    assertError("detection #0 (image_id 4): bbox must have 4 numbers",
        () -> CocoJsonReader.readResults(json("[{'bbox':[1,2,3],'image_id':4,'category_id':1,'score':1}]")));
    assertError("detection #0 (image_id 4): keypoints must be a list of numbers, got STRING",
        () -> CocoJsonReader.readResults(json("[{'keypoints':'x','image_id':4,'category_id':1,'score':1}]")));
    assertError("detection #0 (image_id 4): segmentation polygon 1 must be numeric",
        () -> CocoJsonReader.readResults(json("[{'segmentation':[[1,2,3,4,5,6],[1,[2]]],'image_id':4,'category_id':1,'score':1}]")));
    assertError("detection #0 (image_id 4): bad RLE segmentation",
        () -> CocoJsonReader.readResults(json("[{'segmentation':{'size':[8,10],'counts':[0,3]},'image_id':4,'category_id':1,'score':1}]")));
    assertError("detection #0 (image_id 4): category_id must be an integer",
        () -> CocoJsonReader.readResults(json("[{'category_id':1.5,'image_id':4,'score':1}]")));
    assertError("detection #0 (image_id 4): score must be numeric",
        () -> CocoJsonReader.readResults(json("[{'image_id':4,'category_id':1,'score':'high'}]")));
    assertError("'results' must contain only objects", () -> CocoJsonReader.readResults(json("[1]")));
    assertError("invalid JSON in COCO results file", () -> CocoJsonReader.readResults(json("[{'image_id':4,]")));
  }

  @Test
  void aDetectionMaskIsCheckedWhenItIsUsed() throws IOException {
    // bbox evaluations never look into the masks, as in pycocotools; segm names the detection
    List<CocoDetection> d = CocoJsonReader.readResults(json(
        "[{'image_id':1,'category_id':3,'score':0.5,'segmentation':{'size':[8,10],'counts':'0 3'}}]"));
    CocoDataset gt = dataset("{'id':5,'image_id':1,'category_id':3,'iscrowd':0,'area':12.5,'bbox':[1,2,3,4],"
        + "'segmentation':[[1,1,5,1,5,5]]}");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> io.sparkseg.core.coco.eval.LoadRes.apply(gt, d, io.sparkseg.core.coco.eval.LoadRes.AreaSource.SEGM));
    assertTrue(e.getMessage().startsWith("detection #0 (image_id 1): RLE counts string has invalid character"),
        e.getMessage());
  }

  @Test
  void fieldsAndCategoriesNotLookedAtAreSkippedUnread() throws IOException {
    String rec = "{\"image_id\":1,\"category_id\":3,\"bbox\":[1,2,3,4],\"score\":0.5,"
        + "\"segmentation\":{\"size\":[4,4],\"counts\":\"not read\"},\"keypoints\":[1,2,2]}";
    CocoDetection d = one(rec, false, false, null);
    assertNull(d.segmentation());
    assertNull(d.keypoints());
    assertArrayEquals(new double[] {1, 2, 3, 4}, d.bbox(), 0.0);
    assertEquals(3, one(rec, false, true, c -> c == 3).categoryId());
    assertArrayEquals(new double[] {1, 2, 2}, one(rec, false, true, c -> c == 3).keypoints(), 0.0);
    assertSkipped(one(rec, true, true, c -> c == 1), 1, 3);
    // category_id after the other fields: they are read, the record is still dropped
    String late = "{\"image_id\":1,\"bbox\":[1,2,3,4],\"score\":0.5,\"category_id\":3}";
    assertSkipped(one(late, true, true, c -> c == 1), 1, 3);
    assertEquals(3, one(late, true, true, c -> c == 3).categoryId());
    // image_id after the category: still read, as loadRes checks every detection's image
    String early = "{\"category_id\":3,\"bbox\":[1,2,3,4],\"segmentation\":[[1,2,3,4,5,6]],\"image_id\":12}";
    assertSkipped(one(early, true, true, c -> c == 1), 12, 3);
    CocoFormatException e = assertThrows(CocoFormatException.class,
        () -> one("{\"category_id\":3,\"score\":0.5}", true, true, c -> c == 1));
    assertTrue(e.getMessage().contains("detection #0") && e.getMessage().contains("image_id"), e.getMessage());
  }

  /** A detection of a category not read: its image and category, nothing else. */
  private static void assertSkipped(CocoDetection d, long imageId, int categoryId) {
    assertEquals(imageId, d.imageId());
    assertEquals(categoryId, d.categoryId());
    assertTrue(Double.isNaN(d.score()));
    assertNull(d.bbox());
    assertNull(d.segmentation());
    assertNull(d.keypoints());
  }

  private static CocoDetection one(String json, boolean masks, boolean keypoints,
      java.util.function.IntPredicate categories) throws IOException {
    try (com.fasterxml.jackson.core.JsonParser p = CocoJsonReader.parser(
        new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)))) {
      p.nextToken();
      CocoDetection d = CocoJsonReader.readDetection(p, 0, masks, keypoints, categories);
      assertEquals(null, p.nextToken(), "the whole record consumed");
      return d;
    }
  }
}
