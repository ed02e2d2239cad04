package io.sparkseg.job.secrets;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.Charset;

/**
 * A writer that passes text on a line at a time through {@link Secrets#redact}: a secret split across two writes
 * is still masked. {@link #flush()} passes on the unfinished line too.
 */
public final class RedactingWriter extends Writer {
  private final Writer out;
  private final StringBuilder line = new StringBuilder();

  public RedactingWriter(Writer out) {
    this.out = out;
  }

  /** An auto-flushing print writer onto {@code stream} (the console) that redacts. */
  public static PrintWriter onto(OutputStream stream) {
    return new PrintWriter(new RedactingWriter(new OutputStreamWriter(stream, Charset.defaultCharset())), true);
  }

  @Override
  public synchronized void write(char[] buf, int off, int len) throws IOException {
    for (int i = off; i < off + len; i++) {
      line.append(buf[i]);
      if (buf[i] == '\n') {
        passOn();
      }
    }
  }

  @Override
  public synchronized void flush() throws IOException {
    passOn();
    out.flush();
  }

  @Override
  public synchronized void close() throws IOException {
    flush();
    out.close();
  }

  private void passOn() throws IOException {
    if (line.length() > 0) {
      out.write(Secrets.redact(line.toString()));
      line.setLength(0);
    }
  }
}
