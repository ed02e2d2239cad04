package io.sparkseg.job.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

class HadoopConfTest {
  private static HadoopConf roundTrip(HadoopConf c) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(buf)) {
      out.writeObject(c);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(buf.toByteArray()))) {
      return (HadoopConf) in.readObject();
    }
  }

  @Test
  void travelsWithItsPropertiesAndIsParsedOncePerDistinctConfiguration() throws Exception {
    Configuration conf = new Configuration();
    conf.set("fs.s3a.endpoint", "http://127.0.0.1:9000");
    conf.set("sparkseg.test.marker", "one-" + System.nanoTime());
    HadoopConf hc = new HadoopConf(conf);

    HadoopConf a = roundTrip(hc);
    HadoopConf b = roundTrip(hc);
    assertEquals("http://127.0.0.1:9000", a.get().get("fs.s3a.endpoint"));
    assertEquals(conf.get("sparkseg.test.marker"), a.get().get("sparkseg.test.marker"));
    assertEquals(conf.get("fs.defaultFS"), a.get().get("fs.defaultFS"));
    assertSame(a.get(), b.get(), "a task after the first reuses the parsed configuration");

    conf.set("sparkseg.test.marker", "two-" + System.nanoTime());
    HadoopConf other = roundTrip(new HadoopConf(conf));
    assertNotSame(a.get(), other.get());
    assertEquals(conf.get("sparkseg.test.marker"), other.get().get("sparkseg.test.marker"));
    assertEquals("http://127.0.0.1:9000", a.get().get("fs.s3a.endpoint"), "the first is unchanged");
  }

  @Test
  void laterChangesOnTheDriverDoNotLeakIntoTheCopy() {
    Configuration conf = new Configuration(false);
    conf.set("k", "v1");
    HadoopConf hc = new HadoopConf(conf);
    conf.set("k", "v2");
    assertEquals("v1", hc.get().get("k"));
  }
}
