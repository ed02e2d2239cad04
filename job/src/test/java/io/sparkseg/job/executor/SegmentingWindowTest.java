package io.sparkseg.job.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.core.image.ImageDecoder;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.ModelBundle;
import io.sparkseg.core.model.PredictOptions;
import io.sparkseg.core.result.ImageStatus;
import io.sparkseg.job.TestSpark;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The task-side window over the executor pipeline: results in input order, failures as outcomes
 * (never exceptions), the same detections as calling the model directly, and no more than
 * {@code prefetch} items taken ahead of the consumer.
 */
class SegmentingWindowTest {

  @Test
  void keepsInputOrderTurnsFailuresIntoOutcomesAndBoundsPrefetch() throws Exception {
    TestSpark.requireModel();
    byte[] jpeg = Files.readAllBytes(TestSpark.sampleImages(1).get(0));
    try (MaskRcnnModel model = MaskRcnnModel.load(ModelBundle.load(TestSpark.modelDir()), "cpu")) {
      PredictOptions options = SegmentingWindow.options(model, null, null);
      int expected = model.predict(List.of(new ImageDecoder().decode(jpeg).image()), options).get(0).instances().size();
      assertTrue(expected > 0, "the sample image has detections to compare");

      // items: "ok", "garbage" (not an image) or "throw" (the reader fails)
      List<String> items = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        items.add(i % 4 == 1 ? "garbage" : i % 4 == 3 ? "throw" : "ok");
      }
      AtomicInteger pulled = new AtomicInteger();
      Iterator<String> base = items.iterator();
      Iterator<String> counting = new Iterator<>() {
        @Override
        public boolean hasNext() {
          return base.hasNext();
        }

        @Override
        public String next() {
          pulled.incrementAndGet();
          return base.next();
        }
      };
      int prefetch = 3;
      ExecutorPipeline pipeline = ExecutorPipeline.get("window-test", model,
          new PipelineSettings(4, 20, prefetch, 2, 1, 1, 0));
      SegmentingWindow<String> window = new SegmentingWindow<>(counting, item -> switch (item) {
        case "ok" -> ImageBytes.Read.of(jpeg);
        case "garbage" -> ImageBytes.Read.of(new byte[] {1, 2, 3, 4});
        default -> throw new IllegalStateException("storage went away");
      }, model, pipeline, options, 100_000_000L, prefetch);

      List<SegmentingWindow.Segmented<String>> out = new ArrayList<>();
      while (window.hasNext()) {
        out.add(window.next());
        assertTrue(pulled.get() <= out.size() + prefetch,
            "at most " + prefetch + " items ahead of the consumer: pulled " + pulled.get() + " after " + out.size());
      }
      assertEquals(items.size(), out.size());
      for (int i = 0; i < items.size(); i++) {
        SegmentingWindow.Segmented<String> s = out.get(i);
        assertEquals(items.get(i), s.item(), "input order kept at " + i);
        switch (items.get(i)) {
          case "ok" -> {
            assertEquals(ImageStatus.OK, s.outcome().status());
            assertEquals(expected, s.outcome().instances().size(), "same detections as a direct model call");
            assertTrue(s.outcome().inferenceMs() > 0);
            assertTrue(s.decodeNanos() > 0);
          }
          case "garbage" -> {
            assertEquals(ImageStatus.DECODE_ERROR, s.outcome().status());
            assertNull(s.outcome().inferenceMs());
          }
          default -> {
            assertEquals(ImageStatus.READ_ERROR, s.outcome().status());
            assertTrue(s.outcome().error().contains("storage went away"), s.outcome().error());
          }
        }
      }
    }
  }
}
