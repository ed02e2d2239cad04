package io.sparkseg.core.model;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Brings a model bundle from any Hadoop FileSystem URI (file://, hdfs://, s3a://, ...) to local
 * disk and loads it. A bundle is a folder, or a zip archive of one ({@code model.json} at the top of
 * the archive or inside a single top folder). Local folders are used in place. Remote folders and
 * all archives are copied (unpacked) into a {@link ModelCache} entry named by the model's sha256.
 * Given the digest the driver validated, a fetch takes the cache entry with that digest without
 * reading the URI, and refuses a URI that now holds another bundle; without one, it reads the
 * URI's current model.json (from an archive, streaming up to it) and reuses the entry that holds
 * exactly that model.json.
 */
public final class BundleFetcher {
  private BundleFetcher() {}

  /** {@code <java.io.tmpdir>/sparkseg-model-cache-<user>} of this JVM, created private to the user when first used. */
  public static Path defaultCacheRoot() {
    return ModelCache.defaultRoot();
  }

  /** Fetches (if remote) and validates the bundle the URI holds now. */
  public static ModelBundle fetch(URI uri, Configuration conf, Path cacheRoot) {
    return fetch(uri, conf, cacheRoot, null);
  }

  /**
   * Fetches (if remote) and validates the bundle at {@code uri}, which must have the digest {@code expected}
   * (the bundle validated earlier, e.g. on the driver) unless that is null.
   *
   * @throws InvalidBundleException naming the URI and the problem, also when it holds another bundle than
   *     {@code expected}
   */
  public static ModelBundle fetch(URI uri, Configuration conf, Path cacheRoot, BundleDigest expected) {
    ModelBundle bundle;
    try {
      Source source = source(uri, conf);
      if (source == null) {
        bundle = ModelBundle.load(localPath(uri)); // a local folder, used in place
      } else {
        bundle = fromCache(uri, source, ModelCache.open(cacheRoot), expected);
      }
    } catch (IOException e) {
      throw new InvalidBundleException("model bundle " + uri + ": cannot read it: " + e.getMessage(), e);
    }
    if (expected != null && !expected.equals(bundle.digest())) {
      throw new InvalidBundleException("model bundle " + uri + " changed after it was validated: it now holds "
          + bundle.name() + " " + bundle.version() + " (" + bundle.digest() + "), the run validated " + expected
          + "; this task does not run it (restore the bundle, or start the run again to validate the new one)");
    }
    return bundle;
  }

  /** Where a bundle's files come from when it is not a local folder. */
  private interface Source {
    /** The digest the bundle there claims now (from its model.json), or null when that cannot be read. */
    BundleDigest claimed() throws IOException;

    /** Copies the bundle's files into {@code dir}; returns the folder that holds model.json. */
    Path copyInto(Path dir) throws IOException;
  }

  private static Path localPath(URI uri) {
    return uri.getScheme() == null ? Path.of(uri.getPath()) : Path.of(uri);
  }

  /** The bundle's source, or null for a local folder. */
  private static Source source(URI uri, Configuration conf) throws IOException {
    String scheme = uri.getScheme();
    if (scheme == null || scheme.equals("file")) {
      Path local = localPath(uri);
      return Files.isRegularFile(local) ? new Archive(uri, () -> Files.newInputStream(local)) : null;
    }
    org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(uri);
    FileSystem fs = remote.getFileSystem(conf);
    if (!fs.exists(remote)) {
      throw new InvalidBundleException("model bundle " + uri + ": no such directory or archive");
    }
    FileStatus status = fs.getFileStatus(remote);
    if (status.isFile()) {
      return new Archive(uri, () -> fs.open(remote));
    }
    org.apache.hadoop.fs.Path descriptor = new org.apache.hadoop.fs.Path(remote, ModelBundle.DESCRIPTOR);
    if (!fs.exists(descriptor)) {
      throw new InvalidBundleException("model bundle " + uri + ": " + ModelBundle.DESCRIPTOR + " is missing");
    }
    return new Source() {
      @Override
      public BundleDigest claimed() throws IOException {
        try (FSDataInputStream in = fs.open(descriptor)) {
          return ModelBundle.digestOf(in.readAllBytes());
        }
      }

      @Override
      public Path copyInto(Path dir) throws IOException {
        for (FileStatus st : fs.listStatus(remote)) {
          if (st.isFile()) {
            try (InputStream in = fs.open(st.getPath())) {
              Files.copy(in, dir.resolve(st.getPath().getName()));
            }
          }
        }
        return dir;
      }
    };
  }

  private static ModelBundle fromCache(URI uri, Source source, ModelCache cache, BundleDigest expected)
      throws IOException {
    BundleDigest wanted = expected != null ? expected : source.claimed();
    ModelBundle cached = wanted == null ? null : cache.find(wanted);
    if (cached != null) {
      return cached;
    }
    Path tmp = cache.newTemp();
    try {
      Path dir = source.copyInto(tmp);
      ModelBundle fresh;
      try {
        fresh = ModelBundle.load(dir); // sha256 and model.json, before anyone can see it
      } catch (InvalidBundleException e) {
        // reported against the URI the user gave, not the temp folder
        throw new InvalidBundleException("model bundle " + uri + ": " + e.getMessage(), e);
      }
      return cache.put(dir, fresh.digest());
    } finally {
      ModelCache.deleteRecursively(tmp);
    }
  }

  /** Opens an archive's bytes; called once per read. */
  private interface ArchiveBytes {
    InputStream open() throws IOException;
  }

  private record Archive(URI uri, ArchiveBytes bytes) implements Source {
    @Override
    public BundleDigest claimed() throws IOException {
      try (ZipInputStream zip = new ZipInputStream(new BufferedInputStream(bytes.open(), 1 << 16))) {
        for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
          String[] parts = e.getName().split("/");
          if (!e.getName().startsWith("__MACOSX/") && parts.length <= 2
              && parts[parts.length - 1].equals(ModelBundle.DESCRIPTOR)) {
            return ModelBundle.digestOf(zip.readAllBytes());
          }
        }
      } catch (ZipException e) {
        return null; // unpacking names the problem
      }
      return null;
    }

    @Override
    public Path copyInto(Path dir) throws IOException {
      try (InputStream in = bytes.open()) {
        unzip(uri, in, dir);
      }
      return bundleRoot(uri, dir);
    }
  }

  private static void unzip(URI uri, InputStream raw, Path dir) throws IOException {
    int files = 0;
    try (ZipInputStream zip = new ZipInputStream(new BufferedInputStream(raw, 1 << 16))) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        if (e.getName().startsWith("__MACOSX/")) {
          continue; // resource forks that macOS's archiver adds
        }
        Path out = dir.resolve(e.getName()).normalize();
        if (!out.startsWith(dir) || out.equals(dir)) {
          throw new InvalidBundleException("model bundle archive " + uri + ": entry '" + e.getName()
              + "' points outside the archive");
        }
        if (e.isDirectory()) {
          Files.createDirectories(out);
        } else {
          Files.createDirectories(out.getParent());
          Files.copy(zip, out, StandardCopyOption.REPLACE_EXISTING);
          files++;
        }
      }
    } catch (ZipException e) {
      throw new InvalidBundleException("model bundle archive " + uri + ": not a readable zip archive: "
          + e.getMessage(), e);
    }
    if (files == 0) {
      throw new InvalidBundleException("model bundle " + uri + ": a file, but not a zip archive with files in it "
          + "(a bundle is a folder or a zip of one)");
    }
  }

  /** The unpacked folder holding model.json: the archive's top, or its single top folder. */
  private static Path bundleRoot(URI uri, Path dir) throws IOException {
    if (Files.isRegularFile(dir.resolve(ModelBundle.DESCRIPTOR))) {
      return dir;
    }
    try (Stream<Path> top = Files.list(dir)) {
      List<Path> folders = top.filter(Files::isDirectory).toList();
      if (folders.size() == 1 && Files.isRegularFile(folders.get(0).resolve(ModelBundle.DESCRIPTOR))) {
        return folders.get(0);
      }
    }
    throw new InvalidBundleException("model bundle archive " + uri + ": " + ModelBundle.DESCRIPTOR
        + " is missing (expected at the top of the archive or inside a single top folder)");
  }
}
