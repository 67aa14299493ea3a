import type { Command } from "commander";
import { addFlags, switchFlag, valueFlag } from "../../cli/flags.js";
import { type CommandContext, flagAction } from "../types.js";

const listFlagTable = { json: switchFlag("--json", "print as JSON") } as const;

const showFlagTable = {
  region: valueFlag("--region <region>", "resolve for this region"),
  master: valueFlag("--master <urls>", "override the masters, as other commands do"),
  context: valueFlag("--context <name>", "the context to show (as the NAME argument)"),
  json: switchFlag("--json", "print as JSON"),
} as const;

const CONTEXT_EXIT_CODES = `
Exit codes: 0 done, 2 usage error, a context that is not defined or a config file that is not valid, 1 the
config file could not be read or written (or another error).`;

export function registerContext(program: Command, ctx: CommandContext): void {
  const context = program
    .command("context")
    .description("list, show and switch the clusters and regions titan targets")
    .addHelpText(
      "after",
      "\nExamples:\n  titan context list\n  titan context use prod\n  titan context show --json\n  TITAN_CONTEXT=staging titan plan",
    );
  addFlags(context.command("list").description("list contexts; * marks the current one"), listFlagTable)
    .addHelpText("after", "\nExamples:\n  titan context list\n  titan context list --json")
    .action(
      flagAction(ctx, listFlagTable, async (env, opts) => {
        const { runContextList } = await import("./run.js");
        return runContextList(env, opts);
      }),
    );
  context
    .command("use")
    .description("make a context the current one")
    .argument("<name>", "context name")
    .addHelpText("after", "\nExamples:\n  titan context use prod\n  titan context use local")
    .action(
      flagAction(ctx, {}, async (env, _opts, name: string) => {
        const { runContextUse } = await import("./run.js");
        return runContextUse(env, name);
      }),
    );
  addFlags(
    context
      .command("show")
      .description("show the resolved target: context, cluster, region, masters (secrets by reference only)")
      .argument("[name]", "context name (default: the current one)"),
    showFlagTable,
  )
    .addHelpText(
      "after",
      "\nExamples:\n  titan context show\n  titan context show prod --region us-east --json\n  titan context show --master http://10.0.0.5:5050",
    )
    .action(
      flagAction(ctx, showFlagTable, async (env, opts, name: string | undefined) => {
        const { runContextShow } = await import("./run.js");
        return runContextShow(env, { ...opts, context: name ?? opts.context });
      }),
    );
  for (const command of [context, ...context.commands]) command.addHelpText("after", CONTEXT_EXIT_CODES);
}
