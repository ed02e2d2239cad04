package io.sparkseg.job.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.result.ImageStatus;
import io.sparkseg.job.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.StorageStatistics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageBytesTest {
  @TempDir
  Path tmp;

  /** Bytes every Hadoop file system in this JVM has read so far. */
  private static long bytesRead() {
    long n = 0;
    Iterator<StorageStatistics> all = FileSystem.getGlobalStorageStatistics().iterator();
    while (all.hasNext()) {
      Long v = all.next().getLong("bytesRead");
      n += v == null ? 0 : v;
    }
    return n;
  }

  @Test
  void aFileOverTheByteLimitIsRefusedFromItsStatusWithoutReadingAByte() throws Exception {
    Path jpeg = tmp.resolve("photo.jpg");
    Files.copy(TestSpark.sampleImages(1).get(0), jpeg);
    long size = Files.size(jpeg);
    assertEquals(ImageStatus.OK, new ImageDecoder().decode(Files.readAllBytes(jpeg)).status(), "a good image");
    String uri = jpeg.toUri().toString();
    Configuration conf = new Configuration();

    long before = bytesRead();
    ImageBytes.Read over = ImageBytes.read(uri, conf, size - 1);
    assertEquals(0, bytesRead() - before, "not a byte of the file was read");
    assertEquals(ImageStatus.TOO_LARGE, over.status());
    assertNull(over.bytes());
    assertTrue(over.error().contains(size + " bytes") && over.error().contains("max-image-bytes"), over.error());
    assertEquals(size, over.file().sizeBytes(), "the file's size is still recorded");

    before = bytesRead();
    ImageBytes.Read at = ImageBytes.read(uri, conf, size);
    assertEquals(size, bytesRead() - before, "a file at the limit is read (and the statistics see reads)");
    assertTrue(at.ok());
    assertEquals(size, at.bytes().length);

    assertEquals(ImageStatus.TOO_LARGE, ImageBytes.given(new byte[11], 10).status());
    assertEquals(11, ImageBytes.given(new byte[11], 11).bytes().length);
  }
}
