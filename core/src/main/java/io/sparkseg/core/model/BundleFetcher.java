package io.sparkseg.core.model;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
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
 * all archives are copied (unpacked) into {@code cacheRoot/<hash of the URI>/} through a temporary
 * folder and an atomic rename, so concurrent executors on one host never see a half-copied bundle;
 * a cached copy is reused while a remote folder's model.json, or an archive's size and modification
 * time, are unchanged.
 */
public final class BundleFetcher {
  private BundleFetcher() {}

  /** Fetches (if remote) and validates the bundle at {@code uri}. */
  public static ModelBundle fetch(URI uri, Configuration conf, Path cacheRoot) {
    String scheme = uri.getScheme();
    if (scheme == null || scheme.equals("file")) {
      Path local = scheme == null ? Path.of(uri.getPath()) : Path.of(uri);
      if (Files.isRegularFile(local)) {
        try {
          String stamp = Files.size(local) + " " + Files.getLastModifiedTime(local).toMillis();
          // keyed by the absolute path: one relative name may mean different files
          return fromArchive(local.toAbsolutePath().toUri(), () -> Files.newInputStream(local), stamp, cacheRoot);
        } catch (IOException e) {
          throw new InvalidBundleException("model bundle " + uri + ": cannot read it: " + e.getMessage(), e);
        }
      }
      return ModelBundle.load(local);
    }
    org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(uri);
    try {
      FileSystem fs = remote.getFileSystem(conf);
      if (!fs.exists(remote)) {
        throw new InvalidBundleException("model bundle " + uri + ": no such directory or archive");
      }
      FileStatus status = fs.getFileStatus(remote);
      if (status.isFile()) {
        return fromArchive(uri, () -> fs.open(remote), status.getLen() + " " + status.getModificationTime(), cacheRoot);
      }
      org.apache.hadoop.fs.Path remoteDescriptor = new org.apache.hadoop.fs.Path(remote, ModelBundle.DESCRIPTOR);
      if (!fs.exists(remoteDescriptor)) {
        throw new InvalidBundleException("model bundle " + uri + ": " + ModelBundle.DESCRIPTOR + " is missing");
      }
      byte[] descriptor = readAll(fs, remoteDescriptor);
      Path target = cacheRoot.resolve(hash(uri.toString()));
      Path cachedDescriptor = target.resolve(ModelBundle.DESCRIPTOR);
      if (Files.isRegularFile(cachedDescriptor) && Arrays.equals(Files.readAllBytes(cachedDescriptor), descriptor)) {
        return ModelBundle.load(target);
      }
      Files.createDirectories(cacheRoot);
      Path tmp = Files.createTempDirectory(cacheRoot, ".fetch-");
      try {
        for (FileStatus st : fs.listStatus(remote)) {
          if (st.isFile()) {
            try (InputStream in = fs.open(st.getPath())) {
              Files.copy(in, tmp.resolve(st.getPath().getName()));
            }
          }
        }
        validate(uri, tmp); // sha256 and model.json, before anyone can see it
        replace(tmp, target);
      } finally {
        deleteRecursively(tmp);
      }
      return ModelBundle.load(target);
    } catch (IOException e) {
      throw new InvalidBundleException("model bundle " + uri + ": cannot read it: " + e.getMessage(), e);
    }
  }

  /** Opens the archive's bytes; called once per unpacking. */
  private interface ArchiveSource {
    InputStream open() throws IOException;
  }

  private static ModelBundle fromArchive(URI uri, ArchiveSource source, String stamp, Path cacheRoot)
      throws IOException {
    Path target = cacheRoot.resolve(hash(uri.toString()));
    Path stampFile = target.resolve(ARCHIVE_STAMP);
    if (Files.isRegularFile(stampFile) && Files.readString(stampFile).equals(stamp)) {
      return ModelBundle.load(bundleRoot(uri, target));
    }
    Files.createDirectories(cacheRoot);
    Path tmp = Files.createTempDirectory(cacheRoot, ".fetch-");
    try {
      try (InputStream in = source.open()) {
        unzip(uri, in, tmp);
      }
      validate(uri, bundleRoot(uri, tmp));
      Files.writeString(tmp.resolve(ARCHIVE_STAMP), stamp);
      replace(tmp, target);
    } finally {
      deleteRecursively(tmp);
    }
    return ModelBundle.load(bundleRoot(uri, target));
  }

  /** Name of the file, next to an unpacked archive, that records which archive it came from. */
  static final String ARCHIVE_STAMP = ".archive-stamp";

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

  /** Loads a freshly copied bundle, reporting problems against the URI the user gave, not the temp folder. */
  private static void validate(URI uri, Path dir) {
    try {
      ModelBundle.load(dir);
    } catch (InvalidBundleException e) {
      throw new InvalidBundleException("model bundle " + uri + ": " + e.getMessage(), e);
    }
  }

  private static void replace(Path tmp, Path target) throws IOException {
    Path old = null;
    if (Files.exists(target)) {
      old = target.resolveSibling(target.getFileName() + ".old-" + System.nanoTime());
      try {
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        old = null; // someone else is replacing it; fall through and try our move
      }
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
      // a concurrent fetcher won the race with an identical, validated copy
    } catch (IOException e) {
      if (!Files.isDirectory(target)) {
        throw e;
      }
    }
    if (old != null) {
      deleteRecursively(old);
    }
  }

  private static byte[] readAll(FileSystem fs, org.apache.hadoop.fs.Path p) throws IOException {
    try (FSDataInputStream in = fs.open(p)) {
      return in.readAllBytes();
    }
  }

  private static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteRecursively(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      walk.sorted(Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a leftover temp folder costs disk, not correctness
    }
  }
}
