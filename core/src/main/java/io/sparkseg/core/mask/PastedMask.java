package io.sparkseg.core.mask;

/**
 * A mask pasted into its image: the thresholded pixels as COCO RLE, and the mean probability of
 * those foreground pixels (0 when there are none), which says how sure the model is of the mask
 * itself rather than of the object's class.
 */
public record PastedMask(Rle rle, float foregroundMean) {
  public PastedMask {
    java.util.Objects.requireNonNull(rle, "rle");
  }
}
