package io.sparkseg.core.model;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Finds module attributes that a TorchScript file's compiled methods assign, by reading the Python
 * source that {@code torch.jit.save} stores under {@code code/} in the archive.
 *
 * <p>One loaded module serves every inference thread of a JVM, and libtorch does not guard a module's
 * attribute slots: a method that assigns {@code self.x} on a module races with other threads reading
 * it (a use-after-free inside libtorch). torchvision's {@code AnchorGenerator} and
 * {@code MultiScaleRoIAlign} do this; sparkseg's exporter swaps them for stateless versions, and this
 * check keeps other files that do it out of the shared-module path. Assignments inside plain
 * TorchScript classes (objects a method creates for itself, such as an {@code ImageList}) are fine.
 */
public final class ModuleStateWrites {
  private static final Pattern CLASS = Pattern.compile("^class (\\w+)(?:\\((\\w+)\\))?:");
  private static final Pattern ASSIGN = Pattern.compile("^\\s+self\\.(\\w+) = ");

  private ModuleStateWrites() {}

  /**
   * {@code Class.attribute} for every module attribute that {@code modelFile}'s code assigns, sorted;
   * empty when there is none, or when the file is not a zip archive with a {@code code/} folder (libtorch
   * then reports what is wrong with it when it loads the file).
   */
  public static List<String> find(Path modelFile) {
    TreeSet<String> writes = new TreeSet<>();
    try (ZipFile zip = new ZipFile(modelFile.toFile())) {
      for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
        ZipEntry entry = entries.nextElement();
        String name = entry.getName();
        if (!entry.isDirectory() && name.endsWith(".py") && name.contains("/code/")) {
          scan(zip, entry, writes);
        }
      }
    } catch (ZipException e) {
      return List.of();
    } catch (IOException e) {
      throw new InvalidBundleException(modelFile + ": cannot read: " + e.getMessage(), e);
    }
    return List.copyOf(writes);
  }

  private static void scan(ZipFile zip, ZipEntry entry, TreeSet<String> writes) throws IOException {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(zip.getInputStream(entry), StandardCharsets.UTF_8))) {
      String owner = null;
      for (String line; (line = in.readLine()) != null; ) {
        Matcher c = CLASS.matcher(line);
        if (c.find()) {
          // torch.jit.save writes "class X(Module):" for modules, "class X:" for plain TorchScript classes
          owner = "Module".equals(c.group(2)) ? c.group(1) : null;
          continue;
        }
        Matcher a = ASSIGN.matcher(line);
        if (owner != null && a.find()) {
          writes.add(owner + "." + a.group(1));
        }
      }
    }
  }
}
