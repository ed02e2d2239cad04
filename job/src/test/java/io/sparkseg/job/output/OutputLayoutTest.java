package io.sparkseg.job.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OutputLayoutTest {
  @Test
  void tablesAndSummaryLiveUnderTheRoot() {
    OutputLayout l = new OutputLayout("s3a://bucket/out/");
    assertEquals("s3a://bucket/out/instances", l.instances());
    assertEquals("s3a://bucket/out/images", l.images());
    assertEquals("s3a://bucket/out/_summary/r1.json", l.summary("r1"));
    assertTrue(CloudCommitters.isS3a(l.root()));
    assertFalse(CloudCommitters.isS3a("hdfs://nn/out"));
    assertFalse(CloudCommitters.isS3a("/local/out"));
  }

  @Test
  void runIdsMustBeSafePartitionValues() {
    assertTrue(OutputLayout.validRunId("20261125-163000"));
    assertTrue(OutputLayout.validRunId("nightly.v2_a"));
    assertFalse(OutputLayout.validRunId("a/b"));
    assertFalse(OutputLayout.validRunId("x=y"));
    assertFalse(OutputLayout.validRunId(".hidden"));
    assertFalse(OutputLayout.validRunId(""));
  }
}
