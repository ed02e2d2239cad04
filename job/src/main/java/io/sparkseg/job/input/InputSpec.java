package io.sparkseg.job.input;

/**
 * Where the images come from: exactly one of a folder or glob ({@code input}), a manifest file
 * ({@code manifest}: Parquet, CSV with header, or JSON lines, with a {@code path} column and an
 * optional {@code image_id}), or a COCO ground-truth file ({@code cocoImages}) whose
 * {@code images[].file_name} are resolved inside {@code imageRoot}. A manifest with an
 * {@code imageRoot} has its paths resolved inside it too (see {@link ImageRoot}).
 */
public record InputSpec(String input, String manifest, String cocoImages, String imageRoot) {

  /** Checks that exactly one source is given; returns a message for the user or null. */
  public String validate() {
    int n = (blank(input) ? 0 : 1) + (blank(manifest) ? 0 : 1) + (blank(cocoImages) ? 0 : 1);
    if (n == 0) {
      return "no input: give --input (folder or glob), --manifest FILE, or --coco-images GT.json --image-root DIR";
    }
    if (n > 1) {
      return "give only one of --input, --manifest, --coco-images";
    }
    if (!blank(cocoImages) && blank(imageRoot)) {
      return "--coco-images needs --image-root (the folder holding the images' file_name)";
    }
    if (blank(cocoImages) && blank(manifest) && !blank(imageRoot)) {
      return "--image-root is only used with --coco-images or --manifest";
    }
    return null;
  }

  /** A short description for logs and the run summary. */
  public String describe() {
    if (!blank(input)) {
      return "files " + input;
    }
    if (!blank(manifest)) {
      return "manifest " + manifest + (blank(imageRoot) ? "" : " under " + imageRoot);
    }
    return "COCO images of " + cocoImages + " under " + imageRoot;
  }

  static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
