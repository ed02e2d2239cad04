package io.sparkseg.job.cli;

import io.sparkseg.job.secrets.Secrets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Refuses login details in URIs ({@code s3a://KEY:SECRET@bucket/...}, see {@link Secrets#hasLogin}) in any option of
 * any command, flags and defaults alike, before the command runs: they would reach paths, logs and tables, and S3A
 * rejects them anyway. The message shows each URI masked and where credentials go instead. Exit code 2.
 */
final class LoginCheck implements CommandLine.IExecutionStrategy {
  private final CommandLine.IExecutionStrategy next;

  LoginCheck(CommandLine.IExecutionStrategy next) {
    this.next = next;
  }

  @Override
  public int execute(ParseResult parsed) {
    ParseResult leaf = parsed;
    while (leaf.hasSubcommand()) {
      leaf = leaf.subcommand();
    }
    List<String> problems = problems(leaf.commandSpec());
    if (problems.isEmpty()) {
      return next.execute(parsed);
    }
    var err = leaf.commandSpec().commandLine().getErr();
    for (String p : problems) {
      err.println("sparkseg " + leaf.commandSpec().name() + ": " + p);
    }
    err.println("Give credentials in the configuration instead: for S3 --conf spark.hadoop.fs.s3a.access.key=... "
        + "--conf spark.hadoop.fs.s3a.secret.key=... or a credentials provider "
        + "(spark.hadoop.fs.s3a.aws.credentials.provider).");
    err.flush();
    return ExitCodes.USAGE;
  }

  /** One line per option value that carries login details, the URI masked. */
  static List<String> problems(CommandSpec spec) {
    List<String> out = new ArrayList<>();
    for (OptionSpec o : spec.options()) {
      Object v = o.getValue();
      if (v instanceof Map<?, ?> m) {
        m.forEach((k, val) -> check(out, o.longestName() + " " + k + "=", val));
      } else if (v instanceof Collection<?> c) {
        c.forEach(val -> check(out, o.longestName() + " ", val));
      } else {
        check(out, o.longestName() + " ", v);
      }
    }
    return out;
  }

  private static void check(List<String> out, String option, Object value) {
    if (value instanceof String s && Secrets.hasLogin(s)) {
      out.add(option + Secrets.redact(s) + ": the URI holds login details (user:secret@), which are never accepted");
    }
  }
}
