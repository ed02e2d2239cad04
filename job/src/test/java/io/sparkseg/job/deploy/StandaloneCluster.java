package io.sparkseg.job.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster on this machine for tests: a Master and a Worker JVM started
 * from a {@code $SPARK_HOME} whose {@code jars/} links the Spark/Hadoop jars of
 * {@code deploy/standalone/pom.xml} (nothing of sparkseg's), bound to 127.0.0.1 only. The Worker
 * launches each application's executors as separate JVMs with that {@code $SPARK_HOME/jars}
 * classpath, exactly as on a cluster; applications are submitted with Spark's own
 * {@code SparkSubmit} main class ({@link #submit}).
 */
final class StandaloneCluster implements AutoCloseable {
  /** The JVM flags Spark 4 needs on Java 17 (what bin/spark-class would add). */
  static final List<String> JAVA_OPENS = List.of(
      "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens=java.base/java.io=ALL-UNNAMED",
      "--add-opens=java.base/java.net=ALL-UNNAMED",
      "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
      "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
      "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
      "-Djdk.reflect.useDirectMethodHandle=false",
      "-Dio.netty.tryReflectionSetAccessible=true");
  private static final Pattern DAEMON_PID = Pattern.compile("Started daemon with process name: (\\d+)@");

  final Path home;
  final Path workerDir;
  final Path logs;
  final int masterPort;
  private Process master;
  private Process worker;

  private StandaloneCluster(Path home, Path workerDir, Path logs, int masterPort) {
    this.home = home;
    this.workerDir = workerDir;
    this.logs = logs;
    this.masterPort = masterPort;
  }

  /**
   * Lays out {@code dir/spark-home} (jars linked from {@code sparkJars}, a log4j2 config), starts
   * the Master and one Worker with {@code workerCores} cores and {@code workerMemory}, and waits
   * until the Worker has registered.
   */
  static StandaloneCluster start(Path dir, List<Path> sparkJars, int workerCores, String workerMemory,
      Duration timeout) throws IOException, InterruptedException {
    Path home = dir.resolve("spark-home");
    Path jars = home.resolve("jars");
    Files.createDirectories(jars);
    Files.createDirectories(home.resolve("conf"));
    for (Path j : sparkJars) {
      Path link = jars.resolve(j.getFileName().toString());
      if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        Files.createSymbolicLink(link, j.toAbsolutePath());
      }
    }
    Files.writeString(home.resolve("conf/log4j2.properties"), String.join("\n",
        "rootLogger.level = info",
        "rootLogger.appenderRef.stdout.ref = console",
        "appender.console.type = Console",
        "appender.console.name = console",
        "appender.console.target = SYSTEM_ERR",
        "appender.console.layout.type = PatternLayout",
        "appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex",
        "logger.jetty.name = org.sparkproject.jetty",
        "logger.jetty.level = warn",
        "logger.parquet.name = org.apache.parquet",
        "logger.parquet.level = warn",
        "logger.hadoop.name = org.apache.hadoop",
        "logger.hadoop.level = warn",
        "logger.codegen.name = org.apache.spark.sql.catalyst.expressions.codegen",
        "logger.codegen.level = warn",
        ""), StandardCharsets.UTF_8);
    Path logs = Files.createDirectories(dir.resolve("logs"));
    Path workerDir = Files.createDirectories(dir.resolve("worker"));
    StandaloneCluster c = new StandaloneCluster(home, workerDir, logs, freePort());
    try {
      c.master = c.daemon("org.apache.spark.deploy.master.Master", logs.resolve("master.log"),
          "--host", "127.0.0.1", "--port", String.valueOf(c.masterPort), "--webui-port", String.valueOf(freePort()));
      c.worker = c.daemon("org.apache.spark.deploy.worker.Worker", logs.resolve("worker.log"),
          "--host", "127.0.0.1", "--port", String.valueOf(freePort()), "--webui-port", String.valueOf(freePort()),
          "--cores", String.valueOf(workerCores), "--memory", workerMemory,
          "--work-dir", workerDir.toString(), c.masterUrl());
      waitFor(timeout, () -> read(logs.resolve("worker.log")).contains("Successfully registered with master"),
          "the worker to register with the master (see " + logs + ")", c.worker, c.master);
      return c;
    } catch (IOException | InterruptedException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  /** The environment of every cluster JVM: this $SPARK_HOME, loopback only. */
  void environment(Map<String, String> env) {
    env.keySet().removeIf(k -> k.startsWith("SPARK_") || k.startsWith("SPARKSEG_") || k.equals("HADOOP_CONF_DIR"));
    env.put("SPARK_HOME", home.toString());
    env.put("SPARK_CONF_DIR", home.resolve("conf").toString());
    env.put("SPARK_SCALA_VERSION", "2.13");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("SPARK_LOCAL_HOSTNAME", "localhost");
  }

  List<String> javaCommand(String heap) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + heap);
    cmd.addAll(JAVA_OPENS);
    cmd.add("-cp");
    cmd.add(home.resolve("conf") + java.io.File.pathSeparator + home.resolve("jars") + "/*");
    return cmd;
  }

  private Process daemon(String mainClass, Path log, String... args) throws IOException {
    List<String> cmd = javaCommand("256m");
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    environment(pb.environment());
    return pb.start();
  }

  /**
   * Starts {@code spark-submit} (the {@code SparkSubmit} main class, as bin/spark-submit runs it)
   * in client deploy mode against this cluster; output goes to {@code log}.
   */
  Process submit(List<String> submitArgs, Map<String, String> extraEnv, Path cwd, Path log) throws IOException {
    List<String> cmd = javaCommand("768m");
    cmd.add("org.apache.spark.deploy.SparkSubmit");
    cmd.add("--master");
    cmd.add(masterUrl());
    cmd.add("--deploy-mode");
    cmd.add("client");
    cmd.addAll(submitArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    environment(pb.environment());
    pb.environment().putAll(extraEnv);
    return pb.start();
  }

  /** The executor folders of one application: executor id -> its folder (stdout/stderr inside). */
  Map<String, Path> executorDirs(String appId) {
    Map<String, Path> out = new TreeMap<>();
    Path app = workerDir.resolve(appId);
    if (!Files.isDirectory(app)) {
      return out;
    }
    try (Stream<Path> s = Files.list(app)) {
      s.filter(Files::isDirectory).forEach(p -> out.put(p.getFileName().toString(), p));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** The log of one executor (its stderr, where Spark's console appender writes). */
  static String executorLog(Path executorDir) {
    return read(executorDir.resolve("stderr"));
  }

  /**
   * The executor JVM of an executor folder, taken from the pid it logged at start; only a process
   * launched by this cluster's Worker is returned.
   */
  Optional<ProcessHandle> executorProcess(Path executorDir) {
    Matcher m = DAEMON_PID.matcher(executorLog(executorDir));
    if (!m.find()) {
      return Optional.empty();
    }
    long pid = Long.parseLong(m.group(1));
    return worker.toHandle().descendants().filter(h -> h.pid() == pid).findFirst();
  }

  /** The executor launch commands the Worker logged (to check what is on their classpath). */
  List<String> executorLaunchCommands() {
    List<String> out = new ArrayList<>();
    for (String line : read(logs.resolve("worker.log")).split("\n")) {
      if (line.contains("ExecutorRunner: Launch command:")) {
        out.add(line);
      }
    }
    return out;
  }

  @Override
  public void close() {
    for (Process p : new Process[] {worker, master}) {
      if (p == null) {
        continue;
      }
      p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroy();
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }

  static String read(Path file) {
    try {
      return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** Polls {@code condition} until true; fails when the time is up or a watched process died. */
  static void waitFor(Duration timeout, BooleanSupplier condition, String what, Process... mustLive)
      throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      for (Process p : mustLive) {
        if (p != null && !p.isAlive()) {
          throw new IllegalStateException("a process exited (code " + p.exitValue() + ") while waiting for " + what);
        }
      }
      if (System.nanoTime() > end) {
        throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what);
      }
      Thread.sleep(250);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
