package io.sparkseg.core.model;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The local folder that copied and unpacked bundles live in, one entry per model file sha256
 * ({@code root/<sha256>/model.json}, {@code model.pt}). An entry is used only when it still hashes to the digest
 * asked for, so what a URI held once, or what someone wrote there, is never taken for another bundle. The folder
 * is private to the user (0700): TorchScript is code, and a file swapped between the hash check and the load
 * would run. Entries arrive through a temporary folder and an atomic rename, so concurrent fetchers on one host
 * never see a half-written one.
 */
final class ModelCache {
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
  private final Path root;

  private ModelCache(Path root) {
    this.root = root;
  }

  /** {@code <java.io.tmpdir>/sparkseg-model-cache-<user>}, resolved on the host that uses it. */
  static Path defaultRoot() {
    String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
    return Path.of(System.getProperty("java.io.tmpdir"), "sparkseg-model-cache-" + user);
  }

  /**
   * The cache at {@code root}, created owner-only if it is not there; an existing one is made owner-only.
   *
   * @throws InvalidBundleException when it cannot be created or made private (e.g. another user's folder)
   */
  static ModelCache open(Path root) {
    try {
      if (!Files.isDirectory(root)) {
        Path parent = root.toAbsolutePath().getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
        try {
          Files.createDirectory(root, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (UnsupportedOperationException e) {
          Files.createDirectory(root); // not a POSIX file system: its own access rules apply
        } catch (FileAlreadyExistsException e) {
          // created by a concurrent fetcher: checked below like any existing folder
        }
      }
      PosixFileAttributeView view = Files.getFileAttributeView(root, PosixFileAttributeView.class);
      if (view != null && !view.readAttributes().permissions().equals(OWNER_ONLY)) {
        view.setPermissions(OWNER_ONLY);
      }
    } catch (IOException e) {
      throw new InvalidBundleException("model cache folder " + root + ": cannot create it or make it private to "
          + "this user (" + e + "); name a folder of your own with --model-cache-dir (modelCacheDir)", e);
    }
    return new ModelCache(root);
  }

  /** The cached bundle with this digest, or null when there is none or it no longer hashes to it. */
  ModelBundle find(BundleDigest digest) {
    Path entry = entry(digest);
    if (!Files.isRegularFile(entry.resolve(ModelBundle.DESCRIPTOR))) {
      return null;
    }
    try {
      ModelBundle cached = ModelBundle.load(entry);
      return cached.digest().equals(digest) ? cached : null;
    } catch (InvalidBundleException e) {
      return null; // damaged or replaced: fetched again
    }
  }

  /** A new, empty temporary folder inside the cache (same file system as the entries, for the atomic rename). */
  Path newTemp() throws IOException {
    return Files.createTempDirectory(root, ".fetch-");
  }

  /** Makes a validated bundle folder the entry of its digest, replacing an older entry, and loads it from there. */
  ModelBundle put(Path bundleDir, BundleDigest digest) throws IOException {
    Path target = entry(digest);
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
      Files.move(bundleDir, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
      // a concurrent fetcher won the race with a validated copy; find() below checks it is this one
    } catch (IOException e) {
      if (!Files.isDirectory(target)) {
        throw e;
      }
    }
    if (old != null) {
      deleteRecursively(old);
    }
    ModelBundle stored = find(digest);
    if (stored == null) {
      throw new IOException("cache entry " + target + " does not hold the bundle just written (" + digest + ")");
    }
    return stored;
  }

  private Path entry(BundleDigest digest) {
    return root.resolve(digest.modelSha256());
  }

  static void deleteRecursively(Path p) {
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
