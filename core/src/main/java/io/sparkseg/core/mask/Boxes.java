package io.sparkseg.core.mask;

/**
 * Rasterises {@code [x, y, w, h]} boxes into RLE masks as pycocotools' {@code rleFrBbox} does:
 * the box becomes the 4-vertex polygon {@code (x,y) (x,y+h) (x+w,y+h) (x+w,y)}.
 */
public final class Boxes {
  private Boxes() {}

  /** The box rasterised in an {@code h x w} image ({@code frPyObjects(np.array([bbox]), h, w)}). */
  public static Rle toRle(double[] bbox, int h, int w) {
    if (bbox.length != 4) {
      throw new IllegalArgumentException("a box needs 4 numbers [x, y, w, h], got " + bbox.length);
    }
    double xs = bbox[0];
    double xe = xs + bbox[2];
    double ys = bbox[1];
    double ye = ys + bbox[3];
    return Polygons.toRle(new double[] {xs, ys, xs, ye, xe, ye, xe, ys}, h, w);
  }
}
