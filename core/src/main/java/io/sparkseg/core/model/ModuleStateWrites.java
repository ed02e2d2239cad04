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
 * {@code _0 = getattr(self, "0")}) when the attribute's declared type is a TorchScript class, also inside
 * {@code Optional[...]} (then {@code x = unchecked_cast(T, y)}), {@code List[...]} or {@code Dict[..., ...]}
 * (then {@code x = y[i]}). Objects a method creates for itself (such as an {@code ImageList}) are not
 * shared, so assigning their fields is fine.
 */
public final class ModuleStateWrites {
  private static final Pattern CLASS = Pattern.compile("^class (\\w+)(?:\\((\\w+)\\))?:");
  private static final Pattern DECLARED = Pattern.compile("^  (\\w+) : (.+)$");
  private static final Pattern DECLARED_KEY = Pattern.compile("^  __annotations__\\[\"(\\w+)\"] = (.+)$");
  private static final Pattern METHOD = Pattern.compile("^  def \\w+\\((\\w+): ([\\w.]+)");
  private static final Pattern READ = Pattern.compile("^\\s+(\\w+) = (\\w+)\\.(\\w+)$");
  private static final Pattern GETATTR = Pattern.compile("^\\s+(\\w+) = getattr\\((\\w+), \"(\\w+)\"\\)$");
  private static final Pattern CAST = Pattern.compile("^\\s+(\\w+) = unchecked_cast\\([\\w.]+, (\\w+)\\)$");
  private static final Pattern ELEMENT = Pattern.compile("^\\s+(\\w+) = (\\w+)\\[[^\\]]*]$");
  private static final Pattern REBIND = Pattern.compile("^\\s+(\\w+) = ");
  private static final Pattern WRITE = Pattern.compile("^\\s+(\\w+)\\.(\\w+) = ");
  private static final Pattern ELEMENT_WRITE = Pattern.compile("^\\s+(\\w+)\\[[^\\]]*]\\.(\\w+) = ");

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

  /** What a name refers to: an object of {@code type}, or (container) a List/Dict of such objects. */
  private record Ref(CodeClass type, boolean container) {}

  /** The class a declared attribute type holds, seen through Optional, List and Dict (their values). */
  private static Ref resolve(String declared, Map<String, CodeClass> byName) {
    if (declared == null) {
      return null;
    }
    if (declared.startsWith("Optional[") && declared.endsWith("]")) {
      return resolve(declared.substring("Optional[".length(), declared.length() - 1), byName);
    }
    boolean list = declared.startsWith("List[") && declared.endsWith("]");
    boolean dict = declared.startsWith("Dict[") && declared.endsWith("]");
    if (list || dict) {
      String inner = declared.substring(5, declared.length() - 1);
      // TorchScript dict keys are str, int, float, complex, bool or Tensor, so the first ", " ends the key
      String element = dict ? inner.substring(inner.indexOf(", ") + 2) : inner;
      Ref held = resolve(element, byName);
      return held == null || held.container() ? null : new Ref(held.type(), true);
    }
    CodeClass c = byName.get(declared);
    return c == null ? null : new Ref(c, false);
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
    Map<String, Ref> shared = new HashMap<>();
    for (String line : owner.lines) {
      Matcher m = METHOD.matcher(line);
      if (m.find()) {
        shared.clear();
        CodeClass self = byName.get(m.group(2));
        shared.put(m.group(1), new Ref(self != null ? self : owner, false));
        continue;
      }
      Matcher w = WRITE.matcher(line);
      if (w.find() && shared.containsKey(w.group(1)) && !shared.get(w.group(1)).container()) {
        writes.add(shared.get(w.group(1)).type().simpleName + "." + w.group(2));
        continue;
      }
      Matcher ew = ELEMENT_WRITE.matcher(line);
      if (ew.find() && shared.containsKey(ew.group(1)) && shared.get(ew.group(1)).container()) {
        writes.add(shared.get(ew.group(1)).type().simpleName + "." + ew.group(2));
        continue;
      }
      Ref alias = alias(line, shared, byName);
      Matcher b = REBIND.matcher(line);
      if (alias != null) {
        b.find();
        shared.put(b.group(1), alias);
      } else if (b.find()) {
        shared.remove(b.group(1));
      }
    }
  }

  /** What a line {@code x = ...} makes {@code x} refer to when it is shared state, else null. */
  private static Ref alias(String line, Map<String, Ref> shared, Map<String, CodeClass> byName) {
    Matcher read = READ.matcher(line);
    Matcher got = GETATTR.matcher(line);
    Matcher hit = read.find() ? read : got.find() ? got : null;
    if (hit != null) {
      Ref base = shared.get(hit.group(2));
      return base == null || base.container() ? null : resolve(base.type().declared.get(hit.group(3)), byName);
    }
    Matcher c = CAST.matcher(line);
    if (c.find()) {
      return shared.get(c.group(2));
    }
    Matcher e = ELEMENT.matcher(line);
    if (e.find()) {
      Ref base = shared.get(e.group(2));
      return base != null && base.container() ? new Ref(base.type(), false) : null;
    }
    return null;
  }
}
