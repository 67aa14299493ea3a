import type { Command } from "commander";
import { type CommandContext, lazyAction } from "../types.js";

export function registerContext(program: Command, ctx: CommandContext): void {
  const context = program
    .command("context")
    .description("list, show and switch the clusters and regions titan targets")
    .addHelpText(
      "after",
      "\nExamples:\n  titan context list\n  titan context use prod\n  titan context show --json\n  TITAN_CONTEXT=staging titan plan",
    );
  context
    .command("list")
    .description("list contexts; * marks the current one")
    .option("--json", "print as JSON")
    .addHelpText("after", "\nExamples:\n  titan context list\n  titan context list --json")
    .action(
      lazyAction(ctx, async (env, opts: { json?: boolean }) => {
        const { runContextList } = await import("./run.js");
        return runContextList(env, { json: opts.json === true });
      }),
    );
  context
    .command("use")
    .description("make a context the current one")
    .argument("<name>", "context name")
    .addHelpText("after", "\nExamples:\n  titan context use prod\n  titan context use local")
    .action(
      lazyAction(ctx, async (env, name: string) => {
        const { runContextUse } = await import("./run.js");
        return runContextUse(env, name);
      }),
    );
  context
    .command("show")
    .description("show the resolved target: context, cluster, region, masters (secrets by reference only)")
    .argument("[name]", "context name (default: the current one)")
    .option("--region <region>", "resolve for this region")
    .option("--master <urls>", "override the masters, as other commands do")
    .option("--json", "print as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  titan context show\n  titan context show prod --region us-east --json\n  titan context show --master http://10.0.0.5:5050",
    )
    .action(
      lazyAction(
        ctx,
        async (env, name: string | undefined, opts: { json?: boolean; region?: string; master?: string }) => {
          const { runContextShow } = await import("./run.js");
          return runContextShow(env, {
            json: opts.json === true,
            ...(name === undefined ? {} : { context: name }),
            ...(opts.region === undefined ? {} : { region: opts.region }),
            ...(opts.master === undefined ? {} : { master: opts.master }),
          });
        },
      ),
    );
}
