package io.sparkseg.job.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/k8s/Dockerfile checked structurally (docker is not available to build it here): its
 * instructions are well formed, every file it copies from the build context (the repository root)
 * exists or is what the build produces, and what it puts where agrees with the pod templates and
 * the SparkApplication (checked there).
 */
class DockerfileTest {
  private static final Pattern ARG_REF = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
  private static final List<String> KNOWN = List.of("FROM", "ARG", "RUN", "COPY", "ENV", "WORKDIR", "USER",
      "ENTRYPOINT", "CMD", "LABEL", "EXPOSE", "VOLUME", "SHELL", "HEALTHCHECK", "STOPSIGNAL", "ADD", "ONBUILD");

  record Instruction(String keyword, String args) {}

  /** The instructions, continuation lines joined, comments and the parser directive dropped. */
  static List<Instruction> instructions() {
    List<String> lines;
    try {
      lines = Files.readAllLines(DeployFiles.deploy("k8s/Dockerfile"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Instruction> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String raw : lines) {
      String line = raw.strip();
      if (cur.isEmpty() && (line.isEmpty() || line.startsWith("#"))) {
        continue;
      }
      if (!cur.isEmpty() && line.startsWith("#")) {
        continue;
      }
      if (line.endsWith("\\")) {
        cur.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      cur.append(line);
      String s = cur.toString().strip();
      cur.setLength(0);
      int sp = s.indexOf(' ');
      out.add(new Instruction(s.substring(0, sp).toUpperCase(), s.substring(sp + 1).strip()));
    }
    assertTrue(cur.isEmpty(), "the Dockerfile ends inside a continued line");
    return out;
  }

  /** ARG defaults (global and per stage; later ones win) for expanding ${NAME}. */
  static Map<String, String> args() {
    Map<String, String> a = new LinkedHashMap<>();
    for (Instruction i : instructions()) {
      if (i.keyword().equals("ARG") && i.args().contains("=")) {
        String[] kv = i.args().split("=", 2);
        a.put(kv[0].strip(), kv[1].strip());
      }
    }
    return a;
  }

  static String expand(String s) {
    Map<String, String> a = args();
    Matcher m = ARG_REF.matcher(s);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(a.getOrDefault(m.group(1), m.group())));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** ENV of the final image (KEY=VALUE pairs, several per instruction). */
  static Map<String, String> env() {
    Map<String, String> env = new LinkedHashMap<>();
    for (Instruction i : instructions()) {
      if (i.keyword().equals("FROM")) {
        env.clear();
      } else if (i.keyword().equals("ENV")) {
        for (String pair : i.args().split("\\s+")) {
          String[] kv = pair.split("=", 2);
          assertEquals(2, kv.length, "ENV needs KEY=VALUE: " + i.args());
          env.put(kv[0], kv[1]);
        }
      }
    }
    return env;
  }

  /** Destinations of the COPY instructions from the build context (not from other stages). */
  static List<String> copiedTargets() {
    List<String> out = new ArrayList<>();
    for (Instruction i : instructions()) {
      if (i.keyword().equals("COPY") && !i.args().startsWith("--from")) {
        String[] parts = i.args().split("\\s+");
        out.add(parts[parts.length - 1]);
      }
    }
    return out;
  }

  @Test
  void instructionsAreWellFormed() {
    List<Instruction> ins = instructions();
    for (Instruction i : ins) {
      assertTrue(KNOWN.contains(i.keyword()), "unknown instruction " + i);
    }
    List<Instruction> froms = ins.stream().filter(i -> i.keyword().equals("FROM")).toList();
    assertEquals(2, froms.size(), "a Spark stage and the final CUDA image");
    assertTrue(expand(froms.get(0).args()).startsWith("apache/spark:4.0.1-"), froms.get(0).args());
    assertTrue(expand(froms.get(1).args()).startsWith("nvidia/cuda:12.8"),
        "libtorch cu128 needs a CUDA 12.8 runtime: " + froms.get(1).args());
    Instruction last = ins.get(ins.size() - 1);
    assertEquals("ENTRYPOINT", last.keyword());
    assertEquals("[\"/opt/entrypoint.sh\"]", last.args(), "Spark's entrypoint (driver/executor dispatch)");
    String user = ins.stream().filter(i -> i.keyword().equals("USER")).reduce((a, b) -> b).orElseThrow().args();
    assertFalse(expand(user).equals("0") || user.equals("root"), "the image must not run as root");
  }

  @Test
  void everyCopiedFileExistsInTheBuildContextOrIsTheBuiltJar() throws IOException {
    Path repo = DeployFiles.repo();
    int checked = 0;
    for (Instruction i : instructions()) {
      if (!i.keyword().equals("COPY") || i.args().startsWith("--from")) {
        continue;
      }
      String[] parts = expand(i.args()).split("\\s+");
      for (int k = 0; k < parts.length - 1; k++) {
        String src = parts[k];
        if (src.startsWith("job/target/")) {
          // the image runs Spark 4.0: the default line's jar, which the shade plugin's finalName writes
          String pom = Files.readString(repo.resolve("job/pom.xml"));
          assertTrue(pom.contains("<finalName>sparkseg-${project.version}${spark.line.suffix}</finalName>"),
              "job jar name changed");
          assertEquals("job/target/" + DeployFiles.lineJars().get("spark4.0_2.13"), src);
        } else if (src.startsWith("deploy/k8s/target/")) {
          assertEquals(ImageCloudJarsTest.FOLDER + "/", src, "what deploy/k8s/pom.xml writes");
        } else {
          assertTrue(Files.exists(repo.resolve(src)), "COPY source missing from the build context: " + src);
        }
        checked++;
      }
    }
    assertTrue(checked >= 7, "expected the S3 jars, the job jar, conf, script, pod template, natives and model copies");
    assertTrue(copiedTargets().contains("/opt/sparkseg/conf/sparkseg-defaults.properties"));
    assertTrue(copiedTargets().contains("/opt/sparkseg/jars/sparkseg.jar"));
    assertTrue(copiedTargets().contains("/opt/spark/jars/"), "the S3 jars go beside Spark's own");
    assertEquals("/opt/sparkseg/conf", env().get("SPARKSEG_CONF_DIR"));
  }
}
