package io.sparkseg.job.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkseg.job.cli.ReportCommand;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The report command on result tables shaped like the job's output of the samples, and the page
 * in a real headless browser: it loads without script errors and renders to a screenshot
 * ({@code job/target/report-screenshot.png}).
 */
class RunReportTest {
  private static ResultFixture fx;
  private static Path report;
  private static String html;
  /** The report the browser loads: of the job's own run when it could run, else the fixture's. */
  private static Path shown;

  @BeforeAll
  static void writeReport() throws IOException {
    Fixtures.spark();
    fx = Fixtures.results();
    report = Files.createTempDirectory("sparkseg-report-").resolve("report.html");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new ReportCommand());
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int rc = cl.execute("--output", fx.output.toString(), "--run-id", ResultFixture.RUN_B,
        "--eval-output", fx.evalOutput.toString(), "--report", report.toString(), "--samples", "8");
    assertEquals(0, rc, "report failed: " + err);
    assertTrue(out.toString().contains("report: " + report), out.toString());
    html = Files.readString(report);
    shown = report;
    jobReport = report.resolveSibling("job-report.html");
    int jrc = cl.execute("--output", fx.output.toString(), "--run-id", ResultFixture.JOB_A,
        "--eval-output", fx.evalOutput.toString(), "--report", jobReport.toString(), "--samples", "8",
        "--min-score", "0.3");
    assertEquals(0, jrc, "report of the job's run failed: " + err);
    if (fx.jobInstances > 0) {
      shown = jobReport; // the browser looks at the job's own run when it found something
    }
    Path keep = Path.of("target", "report.html");
    Files.createDirectories(keep.getParent());
    Files.copy(shown, keep, StandardCopyOption.REPLACE_EXISTING);
  }

  private static Path jobReport;

  @Test
  void reportOfTheJobsOwnRun() throws IOException {
    String job = Files.readString(jobReport);
    for (String id : List.of("summary", "status", "classes", "samples", "evaluation")) {
      assertTrue(job.contains("<section id=\"" + id + "\">"), id);
    }
    assertTrue(job.contains("decode_error") && job.contains("missing"), "the corrupt and the missing image");
    if (fx.jobInstances == 0) {
      assertTrue(job.contains("No instances."), "a run without instances says so");
      assertTrue(job.contains("has no evaluation results") || job.contains("No evaluation tables"), "no evaluation");
    } else {
      assertTrue(count(job, "<svg ") >= 4, "charts");
    }
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  @Test
  void reportHasEverySectionAndIsSelfContained() {
    assertTrue(html.startsWith("<!DOCTYPE html>"));
    for (String id : List.of("summary", "status", "classes", "samples", "evaluation")) {
      assertTrue(html.contains("<section id=\"" + id + "\">"), id);
    }
    assertEquals(8, count(html, "src=\"data:image/png;base64,"), "sample images");
    assertTrue(count(html, "<svg ") >= 6, "charts");
    assertTrue(html.contains("Precision–recall"));
    assertTrue(html.contains("segm, IoU 0.50") && html.contains("bbox, IoU 0.75"));
    // per category and area range, one chart shown at a time
    assertTrue(html.contains("<select data-pick=\"pr-by-category\">"), "the category choice");
    assertTrue(html.contains("IoU 0.50, by area") && html.contains(">small</text>"), "curves by area range");
    // the error analysis: dAP bars per iouType, the per-category table and a confusion matrix per iouType
    assertTrue(html.contains("<section id=\"errors\">"), "errors section");
    assertTrue(html.contains("bbox: dAP50 by error type") && html.contains("segm: dAP50 by error type"));
    for (String t : List.of("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")) {
      assertTrue(html.contains("<th>dAP " + t + " (n)</th>"), t);
    }
    assertTrue(html.contains("Confusion matrix, bbox") && html.contains("Confusion matrix, segm"));
    assertTrue(html.contains("<th>background</th>"));
    assertTrue(html.contains("decode_error") && html.contains("Unsupported JPEG process"), "failures listed");
    assertTrue(html.contains("fixture-v2"));
    // nothing is loaded from anywhere: no external src/href, no CDN
    Matcher m = Pattern.compile("(src|href)\\s*=\\s*\"(?!data:|#)([^\"]*)\"").matcher(html);
    List<String> external = new ArrayList<>();
    while (m.find()) {
      external.add(m.group(2));
    }
    assertEquals(List.of(), external);
    assertFalse(html.contains("<link") || html.contains("@import") || html.contains("url("));
  }

  @Test
  void styleAndScriptsFromTheResourcesAreInlined() throws IOException {
    String css = resource("report.css");
    String trap = resource("error-trap.js");
    String js = resource("report.js");
    assertTrue(css.contains("figure.big") && trap.contains("data-report-errors") && js.contains("data-report-ready"));
    assertTrue(html.contains("<style>" + css + "</style>"), "the stylesheet inlined in the head");
    int at = html.indexOf("<script>" + trap + "</script>");
    assertTrue(at > 0 && at < html.indexOf("<style>"), "the error trap first, in the head");
    assertTrue(html.endsWith("<script>" + js + "</script></body></html>\n"), "the page's script last");
  }

  /** A resource of the report as the build packs it, without its last line break. */
  private static String resource(String name) throws IOException {
    try (var in = RunReport.class.getResourceAsStream(name)) {
      assertTrue(in != null, name + " is not on the classpath");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).stripTrailing();
    }
  }

  @Test
  void evaluationOutputWithoutErrorTablesHasNoErrorsSection() throws IOException {
    // an evaluate output written before the error analysis: its three tables only
    Path old = Files.createTempDirectory("sparkseg-old-eval-");
    for (String t : List.of(io.sparkseg.tables.EvalTables.SUMMARY, io.sparkseg.tables.EvalTables.PER_CATEGORY,
        io.sparkseg.tables.EvalTables.PR_CURVES)) {
      Path from = fx.evalOutput.resolve(t);
      try (var files = Files.walk(from)) {
        for (Path f : files.toList()) {
          Files.copy(f, old.resolve(t).resolve(from.relativize(f).toString()));
        }
      }
    }
    String page = RunReport.html(Fixtures.spark(), new RunReport.Options(fx.output.toString(), ResultFixture.RUN_B,
        old.toString(), 2, 0.5, 200));
    assertTrue(page.contains("<section id=\"evaluation\">") && page.contains("Precision–recall"));
    assertFalse(page.contains("<section id=\"errors\">"));
  }

  @Test
  void reportWithoutEvaluationAndOnAMissingRun() throws IOException {
    String plain = RunReport.html(Fixtures.spark(), new RunReport.Options(fx.output.toString(), ResultFixture.RUN_A, null,
        2, 0.5, 200));
    assertFalse(plain.contains("<section id=\"evaluation\">"));
    assertEquals(2, count(plain, "data:image/png;base64,"));
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new ReportCommand());
    cl.setErr(new PrintWriter(err));
    int rc = cl.execute("--output", fx.output.toString(), "--run-id", "no-such-run", "--report",
        report.resolveSibling("none.html").toString());
    assertEquals(2, rc, err.toString());
    assertTrue(err.toString().contains("run no-such-run has no images"), err.toString());
  }

  static String chromium() {
    for (String c : List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")) {
      for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
        if (Files.isExecutable(Path.of(dir, c))) {
          return Path.of(dir, c).toString();
        }
      }
    }
    return null;
  }

  private static Process browser(String exe, Path profile, List<String> extra, Path log) throws IOException {
    return browser(exe, profile, extra, log, shown);
  }

  private static Process browser(String exe, Path profile, List<String> extra, Path log, Path page) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(exe, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0", "--user-data-dir=" + profile));
    cmd.addAll(extra);
    cmd.add(page.toUri().toString());
    return new ProcessBuilder(cmd).redirectErrorStream(false).redirectError(log.toFile()).start();
  }

  @Test
  void pageLoadsInHeadlessChromiumWithoutErrors() throws Exception {
    String exe = chromium();
    assertTrue(exe != null, "chromium is not installed: bin/install-deps installs it (the browser check of the report)");
    Path work = Files.createTempDirectory("sparkseg-chromium-");
    // 1. the DOM after scripts ran: the report's script marks the body when it completed
    Path domLog = work.resolve("dom.log");
    Process dom = browser(exe, work.resolve("profile1"), List.of("--dump-dom"), domLog);
    String dumped = new String(dom.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(dom.waitFor(180, TimeUnit.SECONDS), "chromium --dump-dom did not finish");
    String domErr = Files.readString(domLog);
    Matcher ready = Pattern.compile("data-report-ready=\"(\\d+)\"").matcher(dumped);
    assertTrue(ready.find(), "the report's script did not complete; chromium said:\n" + tail(domErr));
    assertFalse(dumped.contains("data-report-errors=\""), "script errors: " + dumped.substring(0, Math.min(600, dumped.length())));
    assertTrue(Integer.parseInt(ready.group(1)) >= 6, "charts seen by the script: " + ready.group(1));
    // 2. a screenshot, with the console captured on stderr
    Path png = work.resolve("report.png");
    Path shotLog = work.resolve("shot.log");
    Process shot = browser(exe, work.resolve("profile2"),
        List.of("--screenshot=" + png, "--window-size=1280,2000", "--hide-scrollbars"), shotLog);
    shot.getInputStream().readAllBytes();
    assertTrue(shot.waitFor(180, TimeUnit.SECONDS), "chromium --screenshot did not finish");
    String shotErr = Files.readString(shotLog);
    assertEquals(List.of(), consoleErrors(domErr + shotErr), "JavaScript errors");
    assertTrue(Files.exists(png), "no screenshot; chromium said:\n" + tail(shotErr));
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(1280, img.getWidth());
    assertEquals(2000, img.getHeight());
    // not a blank page: the header bar and charts put dark and coloured pixels on it
    int distinct = 0;
    java.util.Set<Integer> colours = new java.util.HashSet<>();
    for (int y = 0; y < img.getHeight(); y += 7) {
      for (int x = 0; x < img.getWidth(); x += 7) {
        if (colours.add(img.getRGB(x, y) & 0xF0F0F0)) {
          distinct++;
        }
      }
    }
    assertTrue(distinct > 50, "the screenshot looks blank (" + distinct + " colours)");
    Files.copy(png, Path.of("target", "report-screenshot.png"), StandardCopyOption.REPLACE_EXISTING);
  }

  /** Console lines chromium logged (--enable-logging=stderr) that report an uncaught error. */
  static List<String> consoleErrors(String log) {
    List<String> out = new ArrayList<>();
    for (String line : log.split("\n")) {
      if (line.contains("Uncaught") || (line.contains(":CONSOLE") && line.contains("Error"))) {
        out.add(line);
      }
    }
    return out;
  }

  @Test
  void theBrowserCheckSeesAScriptError() throws Exception {
    String exe = chromium();
    assertTrue(exe != null, "chromium is not installed: bin/install-deps installs it (the browser check of the report)");
    Path work = Files.createTempDirectory("sparkseg-chromium-bad-");
    Path page = work.resolve("bad.html");
    String trap = html.substring(html.indexOf("<script>") + 8, html.indexOf("</script>"));
    Files.writeString(page, "<!DOCTYPE html><html><head><script>" + trap + "</script></head><body>"
        + "<script>noSuchFunction();</script><p>x</p></body></html>");
    Path log = work.resolve("bad.log");
    Process p = browser(exe, work.resolve("profile"), List.of("--dump-dom"), log, page);
    String dumped = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(180, TimeUnit.SECONDS));
    assertTrue(dumped.contains("data-report-errors=\"") && dumped.contains("noSuchFunction"), dumped);
    System.out.println("chromium console capture of a script error: " + consoleErrors(Files.readString(log)));
  }

  private static String tail(String s) {
    return s.length() <= 4000 ? s : s.substring(s.length() - 4000);
  }
}
