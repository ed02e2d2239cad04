package io.sparkseg.core.model;

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
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Brings a model bundle from any Hadoop FileSystem URI (file://, hdfs://, s3a://, ...) to local
 * disk and loads it. Local paths are used in place. Remote bundles are copied into
 * {@code cacheRoot/<hash of the URI>/} through a temporary folder and an atomic rename, so
 * concurrent executors on one host never see a half-copied bundle; a cached copy is reused
 * while its model.json still equals the remote one.
 */
public final class BundleFetcher {
  private BundleFetcher() {}

  /** Fetches (if remote) and validates the bundle at {@code uri}. */
  public static ModelBundle fetch(URI uri, Configuration conf, Path cacheRoot) {
    String scheme = uri.getScheme();
    if (scheme == null || scheme.equals("file")) {
      return ModelBundle.load(scheme == null ? Path.of(uri.getPath()) : Path.of(uri));
    }
    org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(uri);
    try {
      FileSystem fs = remote.getFileSystem(conf);
      if (!fs.exists(remote) || !fs.getFileStatus(remote).isDirectory()) {
        throw new InvalidBundleException("model bundle " + uri + ": no such directory");
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
        ModelBundle.load(tmp); // validate (sha256) before anyone can see it
        replace(tmp, target);
      } finally {
        deleteRecursively(tmp);
      }
      return ModelBundle.load(target);
    } catch (IOException e) {
      throw new InvalidBundleException("model bundle " + uri + ": cannot read it: " + e.getMessage(), e);
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
