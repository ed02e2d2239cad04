package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ResizeRuleTest {
  private final ResizeRule rule = new ResizeRule(320, 512);

  @Test
  void shorterSideReachesMinSize() {
    assertArrayEquals(new int[] {320, 426}, rule.resizedSize(640, 480)); // 640*0.6666667 floors to 426
  }

  @Test
  void longerSideCappedAtMaxSize() {
    assertArrayEquals(new int[] {170, 512}, rule.resizedSize(1200, 400));
  }

  @Test
  void upscalesSmallImagesWithTorchsFloat32Rounding() {
    // torch: 320 * (1/100f) = 3.1999998f, so 100 px -> floor(319.99998) = 319 (checked in torch 1.13)
    assertArrayEquals(new int[] {319, 319}, rule.resizedSize(100, 100));
    assertArrayEquals(new int[] {319, 399}, rule.resizedSize(500, 400)); // 320*(1/400f) < 0.8
  }

  @Test
  void detectron2RoundsHalfUpInDouble() {
    ResizeRule d2 = new ResizeRule(320, 512, ResizeRule.Kind.DETECTRON2);
    // Detectron2's ResizeShortestEdge.get_output_shape (values from it): int(x + 0.5) where torchvision floors
    assertArrayEquals(new int[] {320, 427}, d2.resizedSize(640, 480));
    assertArrayEquals(new int[] {171, 512}, d2.resizedSize(1200, 400));
    assertArrayEquals(new int[] {320, 320}, d2.resizedSize(100, 100));
    assertArrayEquals(new int[] {265, 512}, d2.resizedSize(496, 257));
    assertEquals(ResizeRule.Kind.DETECTRON2, ResizeRule.Kind.of("detectron2"));
  }

  @Test
  void rejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new ResizeRule(0, 10));
    assertThrows(IllegalArgumentException.class, () -> new ResizeRule(600, 500));
  }
}
