package io.sparkseg.core.model;

/**
 * Whose inference semantics map a bundle's outputs into the original image ({@code output.postprocess} in
 * model.json); boxes and keypoints are scaled per axis by original / resized size under both.
 *
 * <ul>
 *   <li>{@link #TORCHVISION}: torchvision's {@code paste_masks_in_image} (the map padded by one pixel and resized
 *       to the box's integer extent), foreground above the mask threshold ({@code MaskPaster}).
 *   <li>{@link #DETECTRON2}: Detectron2's {@code detector_postprocess}: boxes clipped to the image after scaling
 *       and empty ones dropped; masks pasted by its {@code paste_masks_in_image} (grid_sample in the box),
 *       foreground at or above the threshold ({@code GridSampleMaskPaster}).
 * </ul>
 */
public enum Postprocess {
  TORCHVISION, DETECTRON2;

  /** The name in model.json. */
  public String contractName() {
    return ContractNames.of(this);
  }

  /** The post-processing model.json names, or an exception listing the known ones. */
  public static Postprocess of(String name) {
    return ContractNames.parse(Postprocess.class, name, "post-processing");
  }
}
