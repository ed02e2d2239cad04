package io.sparkseg.job.fs;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * A Hadoop {@link Configuration} that can travel to executors inside a Spark closure. It travels
 * as the bytes the driver wrote once; an executor parses each distinct configuration once per JVM
 * and shares it among its tasks, because parsing the thousand-odd properties of a full
 * configuration costs noticeable CPU per task, time the model would wait for its first images.
 * Treat {@link #get()} as read-only: tasks of a JVM share it.
 */
public final class HadoopConf implements Serializable {
  private static final long serialVersionUID = 2L;
  private static final int PARSED_KEPT = 8;
  /** Parsed configurations by the SHA-256 of their bytes, the most recently used few. */
  private static final Map<String, Configuration> PARSED = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Configuration> eldest) {
      return size() > PARSED_KEPT;
    }
  };

  private final byte[] bytes;
  private final String sha256;
  private transient Configuration conf;

  public HadoopConf(Configuration conf) {
    this.conf = new Configuration(conf);
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(buf)) {
      this.conf.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialize the Hadoop configuration", e);
    }
    this.bytes = buf.toByteArray();
    this.sha256 = sha256(bytes);
  }

  /** The configuration; shared by all tasks of an executor JVM, so do not change it. */
  public Configuration get() {
    return conf;
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    synchronized (PARSED) {
      Configuration parsed = PARSED.get(sha256);
      if (parsed == null) {
        parsed = new Configuration(false);
        parsed.readFields(new DataInputStream(new ByteArrayInputStream(bytes)));
        PARSED.put(sha256, parsed);
      }
      conf = parsed;
    }
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM lacks SHA-256", e);
    }
  }
}
