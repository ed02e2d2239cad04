package io.sparkseg.job.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

class ImageIdsTest {
  @Test
  void idsAreStableNonNegative63BitHashesOfTheNormalizedPath() {
    long a = ImageIds.fromNormalizedPath("file:/data/images/a.jpg");
    assertEquals(a, ImageIds.fromNormalizedPath("file:/data/images/a.jpg"));
    assertTrue(a >= 0);
    assertNotEquals(a, ImageIds.fromNormalizedPath("file:/data/images/b.jpg"));
    // documented definition: first 8 bytes of SHA-256, big-endian, sign bit cleared
    assertEquals(0x2cf24dba5fb0a30eL & Long.MAX_VALUE, ImageIds.fromNormalizedPath("hello"));
  }

  @Test
  void normalizationQualifiesAndCleansPaths() {
    Configuration conf = new Configuration();
    assertEquals("file:/data/images/a.jpg", ImageIds.normalize("/data//images/./x/../a.jpg", conf));
    assertEquals(ImageIds.normalize("file:///data/images/a.jpg", conf), ImageIds.normalize("/data/images/a.jpg", conf));
    assertEquals("file:/data/my images/a b.jpg", ImageIds.normalize("/data/my images/a b.jpg", conf));
  }
}
