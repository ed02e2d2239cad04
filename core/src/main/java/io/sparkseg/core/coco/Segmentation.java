package io.sparkseg.core.coco;

import io.sparkseg.core.mask.Polygons;
import io.sparkseg.core.mask.Rle;
import java.util.List;

/**
 * The {@code segmentation} of a COCO record: polygons, or an RLE (compressed or uncompressed
 * {@code counts}). {@link #toRle} gives the mask as pycocotools' {@code COCO.annToRLE} does.
 */
public sealed interface Segmentation extends java.io.Serializable permits Segmentation.PolygonSet, Segmentation.RleMask {

  /** The mask; polygons are rasterised in the image size and merged, RLEs keep their own size. */
  Rle toRle(int imageHeight, int imageWidth);

  /** A list of flat {@code [x1,y1,x2,y2,...]} polygons; several parts mean their union. */
  record PolygonSet(List<double[]> polygons) implements Segmentation {
    public PolygonSet {
      polygons = List.copyOf(polygons);
    }

    @Override
    public Rle toRle(int imageHeight, int imageWidth) {
      if (imageHeight < 0 || imageWidth < 0) {
        throw new IllegalArgumentException("the image size is unknown, so the polygon cannot be rasterised");
      }
      return Polygons.toMergedRle(polygons, imageHeight, imageWidth);
    }
  }

  /** An RLE mask; {@code compressed} records whether the file used the string form. */
  record RleMask(Rle rle, boolean compressed) implements Segmentation {
    @Override
    public Rle toRle(int imageHeight, int imageWidth) {
      return rle;
    }
  }
}
