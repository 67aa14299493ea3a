import type { Command } from "commander";
import { addFlags, type OptionsOf, switchFlag, valueFlag } from "../../cli/flags.js";
import { targetFlagTable } from "../../cli/target-options.js";
import { type CommandContext, flagAction } from "../types.js";

export const logsFlagTable = {
  follow: switchFlag("-f, --follow", "keep reading new output, and new instances, until Ctrl-C"),
  tail: valueFlag(
    "-n, --tail <lines>",
    "only the last N lines of each stream (stdout, stderr) of each run (default: all; 10 with -f)",
  ),
  stdout: switchFlag("--stdout", "only stdout (default: stdout and stderr, each line marked)"),
  stderr: switchFlag("--stderr", "only stderr"),
  allStreams: switchFlag("--all-streams", "stdout and stderr (the default; kept for scripts that pass it)"),
  since: valueFlag("--since <duration>", "include task runs that ended within this window, e.g. 10m"),
  release: valueFlag(
    "--release <n>",
    "only task runs of this release (e.g. the one a deploy is rolling out)",
  ),
  grep: valueFlag("--grep <regex>", "only lines that match this regular expression (JavaScript syntax)"),
  json: switchFlag("--json", "print NDJSON, one object per line"),
  raw: switchFlag(
    "--raw",
    "print lines exactly as written, control characters included, also on a terminal (default there: escaped)",
  ),
  ...targetFlagTable,
} as const;

/** `target` is the `app[/instance]` argument. */
export type LogsOptions = OptionsOf<typeof logsFlagTable> & { target: string };

const HELP = `
Examples:
  titan logs api                    stdout and stderr of every instance of api (running, or the last run of each)
  titan logs api/2 --tail 50        the last 50 lines of instance 2's stdout, then of its stderr
  titan logs api -f                 follow every instance, including ones a deploy starts later
  titan logs api --stderr           only stderr (--stdout: only stdout)
  titan logs api --since 10m        also runs that ended in the last 10 minutes
  titan logs api -f --json          NDJSON: {app, instance, task_id, host, stream, line}
  titan logs api -f --release 7     only the instances of release 7, as a deploy starts them
  titan logs api --grep 'ERROR|WARN' only the lines that match

Lines come from the task sandboxes through each agent's files API, prefixed "api[2] agent-1.local out |" (or
"err |" for stderr; without the mark when one stream is picked).
Mesos keeps no time per line: --since selects task runs (alive within the window), not lines.
--grep filters the lines each run would print (--tail counts lines before it, as tail | grep does).
On a terminal, control characters in a line (escape sequences, \r; not tab) are shown escaped, e.g. \x1b[2J, so an
app's output cannot clear or retitle it; --raw prints them as they are. Pipes and --json get the exact bytes.
-f ends with Ctrl-C (exit 0). Exit codes: 0 ok; 1 no task of a known app, a run's files could not be read, or
the cluster could not be read; 2 usage error or an app titan does not know.`;

export function registerLogs(program: Command, ctx: CommandContext): void {
  const command = program
    .command("logs")
    .description("print (and follow) the output of an app's instances from their Mesos sandboxes")
    .argument("<app[/instance]>", "the app, or one instance of it");
  addFlags(command, logsFlagTable)
    .addHelpText("after", HELP)
    .action(
      flagAction(ctx, logsFlagTable, async (env, opts, target: string) => {
        const { runLogs } = await import("./run.js");
        return runLogs(env, { ...opts, target });
      }),
    );
}
