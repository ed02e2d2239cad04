package io.sparkseg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bundles from local folders, zip archives and a non-local Hadoop FileSystem, with their cache. */
class BundleFetcherTest {
  @TempDir Path tmp;

  /** The local disk under another scheme, so the fetcher takes its remote (copying) path. */
  public static final class OtherFs extends RawLocalFileSystem {
    @Override
    public URI getUri() {
      return URI.create("otherfs:///");
    }

    @Override
    public String getScheme() {
      return "otherfs";
    }
  }

  private static Configuration conf() {
    Configuration c = new Configuration(false);
    c.set("fs.otherfs.impl", OtherFs.class.getName());
    c.setBoolean("fs.otherfs.impl.disable.cache", true);
    return c;
  }

  private static void zip(Path zipFile, Map<String, Path> entries) throws IOException {
    try (OutputStream os = Files.newOutputStream(zipFile); ZipOutputStream z = new ZipOutputStream(os)) {
      for (Map.Entry<String, Path> e : entries.entrySet()) {
        z.putNextEntry(new ZipEntry(e.getKey()));
        Files.copy(e.getValue(), z);
        z.closeEntry();
      }
    }
  }

  /** A zip with the bundle folder's two files at its top. */
  private static Path zipBundle(Path zipFile, Path dir) throws IOException {
    zip(zipFile, Map.of("model.json", dir.resolve("model.json"), "model.pt", dir.resolve("model.pt")));
    return zipFile;
  }

  private Path bundle(String name, String version) throws IOException {
    return TestBundles.write(tmp.resolve(name), new byte[] {4, 5, 6}, d -> d.put("version", version));
  }

  /** {@link #bundle} zipped as {@code name.zip}. */
  private Path zipped(String name, String version) throws IOException {
    return zipBundle(tmp.resolve(name + ".zip"), bundle(name, version));
  }

  private static List<Path> leftovers(Path cache) throws IOException {
    try (Stream<Path> s = Files.list(cache)) {
      return s.filter(p -> p.getFileName().toString().startsWith(".fetch-")).toList();
    }
  }

  @Test
  void localFolderIsUsedInPlace() throws Exception {
    Path dir = bundle("plain", "1.0.0");
    ModelBundle b = BundleFetcher.fetch(dir.toUri(), conf(), tmp.resolve("cache"));
    assertEquals(dir.toRealPath(), b.directory().toRealPath());
    assertFalse(Files.exists(tmp.resolve("cache")));
  }

  @Test
  void zipArchiveIsUnpackedOnceAndAgainWhenItChanges() throws Exception {
    Path dir = bundle("z", "1.0.0");
    Path archive = zipBundle(tmp.resolve("model.zip"), dir);
    Path cache = tmp.resolve("cache");

    ModelBundle first = BundleFetcher.fetch(archive.toUri(), conf(), cache);
    assertEquals("1.0.0", first.version());
    assertTrue(first.directory().startsWith(cache));
    Path marker = Files.createFile(first.directory().resolve("marker"));
    ModelBundle again = BundleFetcher.fetch(URI.create(archive.toString()), conf(), cache);
    assertEquals(first.directory(), again.directory());
    assertTrue(Files.exists(marker), "an unchanged archive is not unpacked again");

    Path dir2 = bundle("z2", "2.0.0");
    zipBundle(archive, dir2);
    Files.setLastModifiedTime(archive, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
    assertEquals("2.0.0", BundleFetcher.fetch(archive.toUri(), conf(), cache).version());
    assertFalse(Files.exists(marker));
    assertEquals(List.of(), leftovers(cache));
  }

  @Test
  void aCacheEntryIsUsedOnlyWhileItHoldsExactlyTheBundleAsked() throws Exception {
    Path archive = zipped("e", "1.0.0");
    Path cache = tmp.resolve("cache");
    ModelBundle first = BundleFetcher.fetch(archive.toUri(), conf(), cache);
    Path entry = cache.resolve(first.sha256());
    assertEquals(entry, first.directory(), "the cache is keyed by the model's sha256");

    // the entry's model.json edited in place, same size and modification time: not the archive's bundle any more
    Path cachedJson = entry.resolve("model.json");
    FileTime mtime = Files.getLastModifiedTime(cachedJson);
    String json = Files.readString(cachedJson);
    Files.writeString(cachedJson, json.replace("\"car\"", "\"bus\""));
    Files.setLastModifiedTime(cachedJson, mtime);
    assertEquals(json.length(), Files.size(cachedJson));
    ModelBundle again = BundleFetcher.fetch(archive.toUri(), conf(), cache);
    assertEquals("car", again.categories().get(1).name(), "unpacked again from the archive");
    assertEquals(first.digest(), again.digest());

    // the entry's model file swapped for other bytes of the same size: refused by its hash, fetched again
    Files.write(entry.resolve("model.pt"), new byte[] {7, 7, 7});
    assertEquals(first.digest(), BundleFetcher.fetch(archive.toUri(), conf(), cache, first.digest()).digest());
    assertEquals(first.sha256(), ModelBundle.sha256Hex(entry.resolve("model.pt")));
  }

  @Test
  void withTheValidatedDigestTheCacheServesItAndAnotherBundleIsRefused() throws Exception {
    Path archive = zipped("v", "1.0.0");
    Path cache = tmp.resolve("cache");
    ModelBundle first = BundleFetcher.fetch(archive.toUri(), conf(), cache);
    BundleDigest validated = first.digest();

    // an executor holding the entry uses it as it is
    Path marker = Files.createFile(first.directory().resolve("marker"));
    assertEquals(first.directory(), BundleFetcher.fetch(archive.toUri(), conf(), cache, validated).directory());
    assertTrue(Files.exists(marker));

    // the URI now holds another bundle: an executor without the entry refuses it
    zipBundle(archive, bundle("v2", "2.0.0"));
    Path otherCache = tmp.resolve("other-cache");
    String msg = assertThrows(InvalidBundleException.class,
        () -> BundleFetcher.fetch(archive.toUri(), conf(), otherCache, validated)).getMessage();
    assertTrue(msg.contains("v.zip changed after it was validated") && msg.contains("2.0.0")
        && msg.contains(validated.descriptorSha256()), msg);
    // so does one reading a local folder in place
    Path folder = bundle("in-place", "1.0.0");
    BundleDigest before = BundleFetcher.fetch(folder.toUri(), conf(), cache).digest();
    TestBundles.write(folder, new byte[] {4, 5, 6}, d -> d.put("version", "1.0.1"));
    msg = assertThrows(InvalidBundleException.class,
        () -> BundleFetcher.fetch(folder.toUri(), conf(), cache, before)).getMessage();
    assertTrue(msg.contains("in-place") && msg.contains("changed after it was validated") && msg.contains("1.0.1"), msg);
  }

  @Test
  void theCacheFolderIsPrivateToItsUser() throws Exception {
    Path archive = zipped("p", "1.0.0");
    Path fresh = tmp.resolve("a/b/cache");
    BundleFetcher.fetch(archive.toUri(), conf(), fresh);
    assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(fresh));
    Path open = Files.createDirectories(tmp.resolve("shared-cache"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    BundleFetcher.fetch(archive.toUri(), conf(), open);
    assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(open));
  }

  @Test
  void theDefaultCacheFolderIsOnePerUserAndCreatedPrivate() throws Exception {
    Path archive = zipped("d", "1.0.0");
    String saved = System.getProperty("java.io.tmpdir");
    System.setProperty("java.io.tmpdir", tmp.resolve("host-tmp").toString());
    try {
      Path root = BundleFetcher.defaultCacheRoot();
      assertEquals(tmp.resolve("host-tmp").resolve("sparkseg-model-cache-" + System.getProperty("user.name")), root);
      ModelBundle b = BundleFetcher.fetch(archive.toUri(), conf(), root);
      assertTrue(b.directory().startsWith(root));
      assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(root));
    } finally {
      System.setProperty("java.io.tmpdir", saved);
    }
  }

  @Test
  void zipWithOneTopFolderLoads() throws Exception {
    Path dir = bundle("folder", "1.1.0");
    Path archive = tmp.resolve("folder.zip");
    zip(archive, Map.of("my-model/model.json", dir.resolve("model.json"), "my-model/model.pt",
        dir.resolve("model.pt"), "__MACOSX/my-model/._model.json", dir.resolve("model.json")));
    ModelBundle b = BundleFetcher.fetch(archive.toUri(), conf(), tmp.resolve("cache"));
    assertEquals("1.1.0", b.version());
    assertEquals(tmp.resolve("cache").resolve(b.sha256()), b.directory());
  }

  @Test
  void remoteFolderAndRemoteZipAreCopiedAndValidated() throws Exception {
    Path dir = bundle("remote", "3.0.0");
    Path archive = zipBundle(tmp.resolve("remote.zip"), dir);
    Path cache = tmp.resolve("cache");
    ModelBundle fromFolder = BundleFetcher.fetch(URI.create("otherfs://" + dir), conf(), cache);
    ModelBundle fromZip = BundleFetcher.fetch(URI.create("otherfs://" + archive), conf(), cache);
    assertEquals("3.0.0", fromFolder.version());
    assertEquals("3.0.0", fromZip.version());
    assertTrue(fromFolder.directory().startsWith(cache) && fromZip.directory().startsWith(cache));
    assertEquals(fromFolder.directory(), fromZip.directory(), "one cache entry per bundle, whichever URI it came from");

    Path other = TestBundles.write(tmp.resolve("other"), new byte[] {1}, d -> d.put("sha256", "00"));
    String msg = assertThrows(InvalidBundleException.class,
        () -> BundleFetcher.fetch(URI.create("otherfs://" + other), conf(), cache)).getMessage();
    assertTrue(msg.startsWith("model bundle otherfs://" + other) && msg.contains("sha256 mismatch"), msg);
    msg = assertThrows(InvalidBundleException.class,
        () -> BundleFetcher.fetch(URI.create("otherfs://" + tmp.resolve("absent")), conf(), cache)).getMessage();
    assertTrue(msg.contains("absent") && msg.contains("no such directory or archive"), msg);
    assertEquals(List.of(), leftovers(cache));
  }

  @Test
  void badArchivesNameTheArchiveAndTheProblem() throws Exception {
    Path dir = bundle("bad", "1.0.0");
    Path cache = tmp.resolve("cache");

    Path text = Files.writeString(tmp.resolve("notes.txt"), "not a zip");
    String msg = assertThrows(InvalidBundleException.class, () -> BundleFetcher.fetch(text.toUri(), conf(), cache))
        .getMessage();
    assertTrue(msg.contains("notes.txt") && msg.contains("not a zip archive"), msg);

    Path escape = tmp.resolve("escape.zip");
    zip(escape, Map.of("model.json", dir.resolve("model.json"), "../../evil.pt", dir.resolve("model.pt")));
    msg = assertThrows(InvalidBundleException.class, () -> BundleFetcher.fetch(escape.toUri(), conf(), cache))
        .getMessage();
    assertTrue(msg.contains("escape.zip") && msg.contains("'../../evil.pt' points outside"), msg);
    assertFalse(Files.exists(tmp.resolve("evil.pt")) || Files.exists(tmp.getParent().resolve("evil.pt")));

    Path noDescriptor = tmp.resolve("nodesc.zip");
    zip(noDescriptor, Map.of("weights/model.pt", dir.resolve("model.pt"), "other/model.pt", dir.resolve("model.pt")));
    msg = assertThrows(InvalidBundleException.class, () -> BundleFetcher.fetch(noDescriptor.toUri(), conf(), cache))
        .getMessage();
    assertTrue(msg.contains("nodesc.zip") && msg.contains("model.json is missing"), msg);

    Path wrongSha = tmp.resolve("sha.zip");
    Path corrupt = Files.write(tmp.resolve("corrupt.pt"), new byte[] {9});
    zip(wrongSha, Map.of("model.json", dir.resolve("model.json"), "model.pt", corrupt));
    msg = assertThrows(InvalidBundleException.class, () -> BundleFetcher.fetch(wrongSha.toUri(), conf(), cache))
        .getMessage();
    assertTrue(msg.contains("sha.zip") && msg.contains("sha256 mismatch"), msg);
    assertEquals(List.of(), leftovers(cache));
  }
}
