package io.sparkseg.job.input;

import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The folder ({@code --image-root}) that COCO {@code file_name} values and manifest paths name
 * images in, and the rule that keeps them there: a name is a relative path (no scheme, no
 * authority, no leading {@code /}) that stays inside the folder once its {@code .} and {@code ..}
 * are resolved. Any other name is refused for its image alone (status {@code refused_path}): a
 * file list from elsewhere cannot make the job read {@code /etc/passwd} or climb out with
 * {@code ../}. The check is on names only; a symbolic link inside the folder is followed.
 */
public final class ImageRoot implements Serializable {
  private static final long serialVersionUID = 1L;
  private final String root;
  private final String prefix;

  private ImageRoot(String root) {
    this.root = root;
    this.prefix = root.endsWith("/") ? root : root + "/";
  }

  /** {@code dir} qualified against its file system. */
  public static ImageRoot of(String dir, Configuration conf) {
    Path p = new Path(dir);
    try {
      return new ImageRoot(p.getFileSystem(conf).makeQualified(p).toString());
    } catch (IOException e) {
      throw new InputException("--image-root " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The resolution of one name: the qualified path inside the root, or why the name is refused. */
  public record Resolved(String path, String refused) {}

  /** {@code name} resolved inside the root, or refused (then {@code path} is the name as given). */
  public Resolved resolve(String name) {
    URI u;
    try {
      u = new Path(name).toUri();
    } catch (IllegalArgumentException e) {
      return refused(name, "is not a path");
    }
    if (u.getScheme() != null || u.getAuthority() != null || u.getPath().startsWith("/")) {
      return refused(name, "is absolute");
    }
    String resolved = new Path(new Path(root), new Path(name)).toString();
    if (!resolved.startsWith(prefix)) {
      return refused(name, "climbs out of it");
    }
    return new Resolved(resolved, null);
  }

  private Resolved refused(String name, String why) {
    return new Resolved(name, "path '" + name + "' " + why + ": it must be relative to --image-root " + root
        + " and stay inside it; not read");
  }

  @Override
  public String toString() {
    return root;
  }
}
