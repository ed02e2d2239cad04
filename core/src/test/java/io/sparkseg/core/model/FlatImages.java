package io.sparkseg.core.model;

import io.sparkseg.core.image.RgbImage;

/**
 * One-colour test images, and how a wrapped forward pass finds one in its batch: a batch holds
 * resized planes only, and resizing a flat colour keeps it. Shared with the job module's tests.
 */
public final class FlatImages {
  private FlatImages() {}

  /** A {@code w x h} image of the colour (r, g, b). */
  public static RgbImage of(int w, int h, int r, int g, int b) {
    byte[] rgb = new byte[w * h * 3];
    for (int i = 0; i < rgb.length; i += 3) {
      rgb[i] = (byte) r;
      rgb[i + 1] = (byte) g;
      rgb[i + 2] = (byte) b;
    }
    return new RgbImage(w, h, rgb);
  }

  /** Whether image {@code i} of {@code batch} is of the colour (r, g, b): its first and last resized pixels are. */
  public static boolean holds(ImageBatch batch, int i, int r, int g, int b) {
    int plane = batch.height() * batch.width();
    int last = (batch.resizedHeight(i) - 1) * batch.width() + batch.resizedWidth(i) - 1;
    float[] want = {r / 255f, g / 255f, b / 255f};
    for (int c = 0; c < 3; c++) {
      int base = (i * 3 + c) * plane;
      for (int at : new int[] {base, base + last}) {
        if (Math.abs(batch.pixels()[at] - want[c]) > 1e-6f) {
          return false;
        }
      }
    }
    return true;
  }
}
