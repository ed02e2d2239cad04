package io.sparkseg.job.executor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;

/**
 * An ImageIO plugin, registered by tests, for a made-up format whose reader runs out of memory
 * decoding its pixels, as a real reader does allocating a large raster in a full heap: the
 * decoder is hooked where third-party readers plug in, and none of our code is replaced.
 */
final class OutOfMemoryImageReader extends ImageReader {
  /** The first bytes of the format: a file that starts with them is read by this plugin. */
  static final byte[] MAGIC = "SPARKSEG-OOM-TEST".getBytes(StandardCharsets.US_ASCII);

  OutOfMemoryImageReader(ImageReaderSpi spi) {
    super(spi);
  }

  /** Registers the plugin with ImageIO; close the result to remove it. */
  static AutoCloseable register() {
    Spi spi = new Spi();
    IIORegistry.getDefaultInstance().registerServiceProvider(spi, ImageReaderSpi.class);
    return () -> IIORegistry.getDefaultInstance().deregisterServiceProvider(spi, ImageReaderSpi.class);
  }

  @Override
  public int getNumImages(boolean allowSearch) {
    return 1;
  }

  @Override
  public int getWidth(int imageIndex) {
    return 64;
  }

  @Override
  public int getHeight(int imageIndex) {
    return 48;
  }

  @Override
  public Iterator<ImageTypeSpecifier> getImageTypes(int imageIndex) {
    return null;
  }

  @Override
  public IIOMetadata getStreamMetadata() {
    return null;
  }

  @Override
  public IIOMetadata getImageMetadata(int imageIndex) {
    return null;
  }

  @Override
  public java.awt.image.BufferedImage read(int imageIndex, ImageReadParam param) {
    throw new OutOfMemoryError("Java heap space (test plugin)");
  }

  private static final class Spi extends ImageReaderSpi {
    Spi() {
      super("sparkseg tests", "1", new String[] {"sparkseg-oom-test"}, new String[] {"oomtest"},
          new String[] {"image/x-sparkseg-oom-test"}, OutOfMemoryImageReader.class.getName(),
          new Class<?>[] {ImageInputStream.class}, null, false, null, null, null, null, false, null, null, null, null);
    }

    @Override
    public boolean canDecodeInput(Object source) throws IOException {
      if (!(source instanceof ImageInputStream in)) {
        return false;
      }
      byte[] head = new byte[MAGIC.length];
      in.mark();
      try {
        return in.read(head) == head.length && Arrays.equals(head, MAGIC);
      } finally {
        in.reset();
      }
    }

    @Override
    public ImageReader createReaderInstance(Object extension) {
      return new OutOfMemoryImageReader(this);
    }

    @Override
    public String getDescription(Locale locale) {
      return "a format whose pixels never fit in memory (sparkseg tests)";
    }
  }
}
