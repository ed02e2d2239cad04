package io.sparkseg.core.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Finds attributes of shared objects that a TorchScript file's compiled methods assign, by reading the
 * Python source that {@code torch.jit.save} stores under {@code code/} in the archive.
 *
 * <p>One loaded module serves every inference thread of a JVM, and libtorch does not guard a module's
 * attribute slots: a method that assigns an attribute of a module (or of an object a module holds) races
 * with other threads reading it (a use-after-free inside libtorch). torchvision's {@code AnchorGenerator}
 * and {@code MultiScaleRoIAlign} do this; sparkseg's exporter swaps them for stateless versions, and this
 * check keeps other files that do it out of the shared-module path.
 *
 * <p>The receiver is followed the way the saved code spells it: the method's first parameter (whatever
 * its name), and locals read from it or from each other ({@code inner = self.inner},
 * {@code _0 = getattr(self, "0")}) when the attribute's declared type is a TorchScript class. Objects
 * a method creates for itself (such as an {@code ImageList}) are not shared, so assigning their fields
 * is fine.
 */
public final class ModuleStateWrites {
  private static final Pattern CLASS = Pattern.compile("^class (\\w+)(?:\\((\\w+)\\))?:");
  private static final Pattern DECLARED = Pattern.compile("^  (\\w+) : (\\S+)$");
  private static final Pattern DECLARED_KEY = Pattern.compile("^  __annotations__\\[\"(\\w+)\"] = (\\S+)$");
  private static final Pattern METHOD = Pattern.compile("^  def \\w+\\((\\w+): ([\\w.]+)");
  private static final Pattern READ = Pattern.compile("^\\s+(\\w+) = (\\w+)\\.(\\w+)$");
  private static final Pattern GETATTR = Pattern.compile("^\\s+(\\w+) = getattr\\((\\w+), \"(\\w+)\"\\)$");
  private static final Pattern REBIND = Pattern.compile("^\\s+(\\w+) = ");
  private static final Pattern WRITE = Pattern.compile("^\\s+(\\w+)\\.(\\w+) = ");

  private ModuleStateWrites() {}

  /**
   * {@code Class.attribute} for every attribute of a module, or of an object a module holds, that
   * {@code modelFile}'s code assigns, sorted; empty when there is none, or when the file is not a zip
   * archive with a {@code code/} folder (libtorch then reports what is wrong with it when it loads it).
   */
  public static List<String> find(Path modelFile) {
    List<CodeClass> classes = new ArrayList<>();
    try (ZipFile zip = new ZipFile(modelFile.toFile())) {
      for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
        ZipEntry entry = entries.nextElement();
        String name = entry.getName();
        int code = name.indexOf("/code/");
        if (!entry.isDirectory() && name.endsWith(".py") && code >= 0) {
          String module = name.substring(code + "/code/".length(), name.length() - ".py".length()).replace('/', '.');
          String text = new String(zip.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8);
          classes.addAll(parse(module, text));
        }
      }
    } catch (ZipException e) {
      return List.of();
    } catch (IOException e) {
      throw new InvalidBundleException(modelFile + ": cannot read: " + e.getMessage(), e);
    }
    Map<String, CodeClass> byName = new HashMap<>();
    for (CodeClass c : classes) {
      byName.put(c.qualifiedName, c);
    }
    TreeSet<String> writes = new TreeSet<>();
    for (CodeClass c : classes) {
      if (c.isModule) {
        scanMethods(c, byName, writes);
      }
    }
    return List.copyOf(writes);
  }

  /** One class of the saved code: its declared attribute types and its source lines. */
  private static final class CodeClass {
    final String qualifiedName;
    final String simpleName;
    final boolean isModule;
    final Map<String, String> declared = new HashMap<>();
    final List<String> lines = new ArrayList<>();

    CodeClass(String qualifiedName, String simpleName, boolean isModule) {
      this.qualifiedName = qualifiedName;
      this.simpleName = simpleName;
      this.isModule = isModule;
    }
  }

  private static List<CodeClass> parse(String module, String text) {
    List<CodeClass> out = new ArrayList<>();
    CodeClass current = null;
    for (String line : text.split("\n", -1)) {
      Matcher c = CLASS.matcher(line);
      if (c.find()) {
        // torch.jit.save writes "class X(Module):" for modules, "class X:" for plain TorchScript classes
        current = new CodeClass(module + "." + c.group(1), c.group(1), "Module".equals(c.group(2)));
        out.add(current);
        continue;
      }
      if (current == null) {
        continue;
      }
      current.lines.add(line);
      Matcher d = DECLARED.matcher(line);
      Matcher k = DECLARED_KEY.matcher(line);
      if (d.find()) {
        current.declared.put(d.group(1), d.group(2));
      } else if (k.find()) {
        current.declared.put(k.group(1), k.group(2));
      }
    }
    return out;
  }

  /** Follows, per method, which names refer to this module or to objects reachable from it. */
  private static void scanMethods(CodeClass owner, Map<String, CodeClass> byName, TreeSet<String> writes) {
    Map<String, CodeClass> shared = new HashMap<>();
    for (String line : owner.lines) {
      Matcher m = METHOD.matcher(line);
      if (m.find()) {
        shared.clear();
        CodeClass self = byName.get(m.group(2));
        shared.put(m.group(1), self != null ? self : owner);
        continue;
      }
      Matcher w = WRITE.matcher(line);
      if (w.find() && shared.containsKey(w.group(1))) {
        writes.add(shared.get(w.group(1)).simpleName + "." + w.group(2));
        continue;
      }
      Matcher r = READ.matcher(line);
      Matcher g = GETATTR.matcher(line);
      boolean read = r.find();
      boolean got = !read && g.find();
      if (read || got) {
        Matcher hit = read ? r : g;
        CodeClass base = shared.get(hit.group(2));
        CodeClass target = base == null ? null : byName.get(base.declared.get(hit.group(3)));
        if (target != null) {
          shared.put(hit.group(1), target);
          continue;
        }
      }
      Matcher b = REBIND.matcher(line);
      if (b.find()) {
        shared.remove(b.group(1));
      }
    }
  }
}
