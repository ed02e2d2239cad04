package io.sparkseg.job.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt's exclusive hold on a run id: a small JSON file ({@code DIR/_runs/ID.lock}) created
 * only if absent, rewritten by a heartbeat thread, deleted on {@link #close()}. A second attempt
 * fails fast with {@link RunLockedException}, unless the lock is stale: its holder ran on this host
 * and that process is gone, or its heartbeat is older than the timeout. A stale lock is taken over.
 *
 * <p>Creation is exclusive where the file system makes it so (local files: {@code O_EXCL}; HDFS:
 * the NameNode); S3 has no create-if-absent before Hadoop's conditional writes, so two attempts
 * started at the same moment could both see no lock there. Either way the heartbeat reads the lock
 * before rewriting it, and a holder that finds another attempt's lock stops ({@link #check()}).
 */
public final class RunLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunLock.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** How often the holder rewrites its lock. */
  public static final Duration HEARTBEAT = Duration.ofSeconds(10);

  private final FileSystem fs;
  private final Path file;
  private volatile Holder holder;
  private final ScheduledExecutorService beat;
  private final Thread shutdownHook;
  private volatile String lost;
  private boolean closed;

  /** Who holds a run: written into the lock file. */
  public record Holder(String runId, String attempt, String host, long pid, Instant pidStartedAt, String appId,
      Instant startedAt, Instant heartbeatAt) {

    /** This process, now. */
    public static Holder current(String runId, String attempt, String appId) {
      ProcessHandle me = ProcessHandle.current();
      Instant now = Instant.now();
      return new Holder(runId, attempt, hostName(), me.pid(), me.info().startInstant().orElse(null), appId, now, now);
    }

    Holder beating(Instant at) {
      return new Holder(runId, attempt, host, pid, pidStartedAt, appId, startedAt, at);
    }

    /** Why this lock no longer holds, or null while it does. */
    String staleBecause(Instant now, Duration timeout, String thisHost) {
      if (host != null && host.equals(thisHost) && pid > 0 && !alive(pid, pidStartedAt)) {
        return "its process " + pid + " on " + host + " is gone";
      }
      if (heartbeatAt == null || Duration.between(heartbeatAt, now).compareTo(timeout) > 0) {
        return "its last heartbeat (" + heartbeatAt + ") is older than " + timeout.toSeconds() + " s";
      }
      return null;
    }

    byte[] toJson() {
      ObjectNode n = JSON.createObjectNode();
      n.put("run_id", runId);
      n.put("attempt", attempt);
      n.put("host", host);
      n.put("pid", pid);
      n.put("pid_started_at", pidStartedAt == null ? null : pidStartedAt.toString());
      n.put("app_id", appId);
      n.put("started_at", startedAt.toString());
      n.put("heartbeat_at", heartbeatAt.toString());
      return n.toString().getBytes(StandardCharsets.UTF_8);
    }

    static Holder parse(byte[] bytes) throws IOException {
      JsonNode n = JSON.readTree(bytes);
      if (n == null || !n.isObject() || !n.hasNonNull("attempt")) {
        throw new IOException("not a sparkseg run lock");
      }
      return new Holder(text(n, "run_id"), text(n, "attempt"), text(n, "host"), n.path("pid").asLong(-1),
          instant(n, "pid_started_at"), text(n, "app_id"), instant(n, "started_at"), instant(n, "heartbeat_at"));
    }

    private static String text(JsonNode n, String key) {
      return n.hasNonNull(key) ? n.get(key).asText() : null;
    }

    private static Instant instant(JsonNode n, String key) {
      try {
        return n.hasNonNull(key) ? Instant.parse(n.get(key).asText()) : null;
      } catch (RuntimeException e) {
        return null;
      }
    }
  }

  private RunLock(FileSystem fs, Path file, Holder holder, Duration heartbeat) {
    this.fs = fs;
    this.file = file;
    this.holder = holder;
    this.beat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sparkseg-run-lock-" + holder.runId());
      t.setDaemon(true);
      return t;
    });
    long ms = Math.max(1, heartbeat.toMillis());
    beat.scheduleWithFixedDelay(this::heartbeat, ms, ms, TimeUnit.MILLISECONDS);
    // a terminated driver (SIGTERM, Ctrl-C) releases its run at once; SIGKILL leaves it to staleness
    this.shutdownHook = new Thread(this::release, "sparkseg-run-lock-release");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Takes the lock of {@code me.runId()} at {@code file}, taking over a stale one.
   *
   * @throws RunLockedException when a live attempt holds the run
   */
  public static RunLock acquire(Configuration conf, Path file, Holder me, Duration timeout, Duration heartbeat)
      throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    if (fs instanceof LocalFileSystem local) {
      fs = local.getRaw(); // no .crc beside a file that is rewritten in place
    }
    Path qualified = fs.makeQualified(file);
    for (int tries = 0; tries < 3; tries++) {
      if (createNew(fs, qualified, me.toJson())) {
        Optional<Holder> back = read(fs, qualified);
        if (back.isPresent() && me.attempt().equals(back.get().attempt())) {
          LOG.info("run {}: attempt {} holds {}", me.runId(), me.attempt(), qualified);
          return new RunLock(fs, qualified, me, heartbeat);
        }
        continue; // another attempt's takeover replaced ours: look again
      }
      FileStatus status;
      Optional<Holder> other;
      try {
        status = fs.getFileStatus(qualified);
        other = read(fs, qualified);
        if (other.isEmpty()) {
          sleep(Duration.ofMillis(200)); // created but not yet written: read it again
          other = read(fs, qualified);
        }
      } catch (FileNotFoundException gone) {
        continue; // released meanwhile
      }
      Instant now = Instant.now();
      Holder h = other.orElse(null);
      if (h == null) {
        // unreadable (being rewritten, or not ours): its age is the file's
        h = new Holder(me.runId(), "unknown", null, -1, null, null, null, Instant.ofEpochMilli(status.getModificationTime()));
      }
      String stale = h.staleBecause(now, timeout, hostName());
      if (stale == null) {
        throw new RunLockedException(h, qualified.toString());
      }
      LOG.warn("run {}: taking over the lock of attempt {} ({}): {}", me.runId(), h.attempt(), qualified, stale);
      fs.delete(qualified, false);
    }
    throw new RunLockedException(read(fs, qualified).orElse(me), qualified.toString());
  }

  /** The lock file of a run under an output root: {@code ROOT/_runs/ID.lock}. */
  public static Path fileFor(String outputRoot, String runId) {
    return new Path(outputRoot + "/_runs/" + runId + ".lock");
  }

  /** Who holds the lock now (the file's content), if anyone. */
  public static Optional<Holder> holder(Configuration conf, Path file) throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    try {
      return read(fs instanceof LocalFileSystem l ? l.getRaw() : fs, file);
    } catch (FileNotFoundException e) {
      return Optional.empty();
    }
  }

  /** The holder as written at the last heartbeat. */
  public Holder holder() {
    return holder;
  }

  /**
   * Fails when this attempt lost the run to another one (its lock was taken over, or removed): call
   * before each commit.
   */
  public void check() {
    if (lost != null) {
      throw new IllegalStateException("run " + holder.runId() + ": attempt " + holder.attempt()
          + " lost its lock " + file + ": " + lost);
    }
  }

  /** Stops the heartbeat and deletes the lock if it is still this attempt's. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    release();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run
    }
  }

  private synchronized void release() {
    if (closed) {
      return;
    }
    closed = true;
    beat.shutdownNow();
    try {
      Optional<Holder> now = read(fs, file);
      if (now.isPresent() && holder.attempt().equals(now.get().attempt())) {
        fs.delete(file, false);
        LOG.info("run {}: attempt {} released {}", holder.runId(), holder.attempt(), file);
      }
    } catch (FileNotFoundException e) {
      // already gone
    } catch (IOException | RuntimeException e) {
      LOG.warn("run {}: could not release {}: {}", holder.runId(), file, e.toString());
    }
  }

  private synchronized void heartbeat() {
    if (closed || lost != null) {
      return;
    }
    try {
      Optional<Holder> now = read(fs, file);
      if (now.isEmpty() || !holder.attempt().equals(now.get().attempt())) {
        lost = now.map(h -> "attempt " + h.attempt() + " (host " + h.host() + ", pid " + h.pid() + ") holds it now")
            .orElse("the lock file is unreadable");
        LOG.error("run {}: {}", holder.runId(), lost);
        return;
      }
      Holder next = holder.beating(Instant.now());
      replace(fs, file, next.toJson());
      holder = next;
    } catch (FileNotFoundException e) {
      lost = "the lock file was deleted";
      LOG.error("run {}: {}", holder.runId(), lost);
    } catch (IOException | RuntimeException e) {
      // a storage hiccup: the next beat tries again, and the timeout leaves room for a few
      LOG.warn("run {}: heartbeat of {} failed: {}", holder.runId(), file, e.toString());
    }
  }

  private static Optional<Holder> read(FileSystem fs, Path file) throws IOException {
    byte[] bytes;
    try (InputStream in = fs.open(file)) {
      bytes = in.readAllBytes();
    }
    try {
      return Optional.of(Holder.parse(bytes));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Creates {@code file} holding {@code bytes} unless it exists; false when it does. */
  private static boolean createNew(FileSystem fs, Path file, byte[] bytes) throws IOException {
    if ("file".equals(fs.getUri().getScheme())) {
      // Hadoop's local create(overwrite=false) checks, then opens: O_EXCL makes it one step
      java.nio.file.Path p = java.nio.file.Path.of(file.toUri());
      Files.createDirectories(p.getParent());
      try (OutputStream out = Files.newOutputStream(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        out.write(bytes);
      } catch (FileAlreadyExistsException e) {
        return false;
      }
      return true;
    }
    try (OutputStream out = fs.create(file, false)) {
      out.write(bytes);
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      if (fs.exists(file)) { // HDFS reports a lost create race as a RemoteException
        return false;
      }
      throw e;
    }
    return true;
  }

  /** Rewrites {@code file} so that a concurrent reader sees the old or the new content. */
  private static void replace(FileSystem fs, Path file, byte[] bytes) throws IOException {
    if ("file".equals(fs.getUri().getScheme())) {
      java.nio.file.Path p = java.nio.file.Path.of(file.toUri());
      java.nio.file.Path tmp = p.resolveSibling("." + p.getFileName() + ".tmp");
      Files.write(tmp, bytes);
      try {
        Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING);
      }
      return;
    }
    // HDFS replaces the file in one NameNode call; S3 PUTs are atomic
    try (OutputStream out = fs.create(file, true)) {
      out.write(bytes);
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** True when {@code pid} runs and, if known, was started at {@code startedAt} (not a reused pid). */
  static boolean alive(long pid, Instant startedAt) {
    Optional<ProcessHandle> p = ProcessHandle.of(pid);
    if (p.isEmpty() || !p.get().isAlive()) {
      return false;
    }
    Optional<Instant> started = p.get().info().startInstant();
    return startedAt == null || started.isEmpty() || started.get().equals(startedAt);
  }

  static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      String env = System.getenv("HOSTNAME");
      if (env != null) {
        return env;
      }
      throw new UncheckedIOException(e);
    }
  }
}
