package io.sparkseg.core.result;

/** An axis-aligned box in COCO convention: top-left corner plus width and height, in pixels. */
public record BoundingBox(double x, double y, double width, double height) {

  public static BoundingBox fromCorners(double x1, double y1, double x2, double y2) {
    return new BoundingBox(x1, y1, x2 - x1, y2 - y1);
  }

  public double x2() {
    return x + width;
  }

  public double y2() {
    return y + height;
  }

  public double area() {
    return width * height;
  }
}
