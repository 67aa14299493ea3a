import type { Command } from "commander";
import { addTargetOptions, targetFlags } from "../../cli/target-options.js";
import { type CommandContext, lazyAction } from "../types.js";

export interface LogsOptions {
  target: string;
  follow: boolean;
  tail?: string;
  stderr: boolean;
  allStreams: boolean;
  since?: string;
  json: boolean;
  context?: string;
  master?: string;
  region?: string;
}

const HELP = `
Examples:
  titan logs api                    stdout of every instance of api (running, or the last run of each)
  titan logs api/2 --tail 50        the last 50 lines of instance 2
  titan logs api -f                 follow every instance, including ones a deploy starts later
  titan logs api --all-streams      stdout and stderr (stderr lines are marked "err")
  titan logs api --since 10m        also runs that ended in the last 10 minutes
  titan logs api -f --json          NDJSON: {app, instance, task_id, host, stream, line}

Lines come from the task sandboxes through each agent's files API, prefixed "api[2] agent-1.local |".
Mesos keeps no time per line: --since selects task runs (alive within the window), not lines.
-f ends with Ctrl-C (exit 0). Exit codes: 0 ok, 1 no such app or a cluster error, 2 usage error.`;

export function registerLogs(program: Command, ctx: CommandContext): void {
  const command = program
    .command("logs")
    .description("print (and follow) the output of an app's instances from their Mesos sandboxes")
    .argument("<app[/instance]>", "the app, or one instance of it")
    .option("-f, --follow", "keep reading new output, and new instances, until Ctrl-C")
    .option("-n, --tail <lines>", "only the last N lines of each instance (default: all; 10 with -f)")
    .option("--stderr", "read stderr instead of stdout")
    .option("--all-streams", "read stdout and stderr")
    .option("--since <duration>", "include task runs that ended within this window, e.g. 10m")
    .option("--json", "print NDJSON, one object per line")
    .option("--region <region>", "the region to read (env TITAN_REGION)");
  addTargetOptions(command)
    .addHelpText("after", HELP)
    .action(
      lazyAction(
        ctx,
        async (
          env,
          target: string,
          opts: {
            follow?: boolean;
            tail?: string;
            stderr?: boolean;
            allStreams?: boolean;
            since?: string;
            json?: boolean;
            context?: string;
            master?: string;
            region?: string;
          },
        ) => {
          const { runLogs } = await import("./run.js");
          return runLogs(env, {
            target,
            follow: opts.follow === true,
            stderr: opts.stderr === true,
            allStreams: opts.allStreams === true,
            json: opts.json === true,
            ...(opts.tail === undefined ? {} : { tail: opts.tail }),
            ...(opts.since === undefined ? {} : { since: opts.since }),
            ...targetFlags(opts),
          });
        },
      ),
    );
}
