import type { Command } from "commander";
import { addFlags, type OptionsOf, switchFlag } from "../../cli/flags.js";
import { replacingFlagTable } from "../../release/flags.js";
import { type CommandContext, flagAction } from "../types.js";

export const drainFlagTable = {
  ...replacingFlagTable,
  advised: switchFlag("--advised", "drain the agents the plan's scale-in advice names"),
} as const;

export type DrainOptions = OptionsOf<typeof drainFlagTable>;

const HELP = `
Examples:
  titan drain agent-7.example.com             move titan's instances off, then bring the agent down
  titan drain --advised --yes                 the agents \`titan plan\` says could be drained
  titan drain S12 S13 --json                  by agent id; the plan, then NDJSON events

Shows the plan first. Once confirmed, the agents' machines join a maintenance window (UPDATE_MAINTENANCE_SCHEDULE):
DRAINING, they take nothing new from any titan. Every instance on them is replaced elsewhere (launched, healthy, then
the old one killed), under the app's constraints and never below its max_unavailable. Then the machines are brought
DOWN (START_MAINTENANCE): Mesos removes the agents, and the machines can be terminated. \`STOP_MAINTENANCE\` brings
a machine back.

Exit codes: 0 drained (or nothing to drain), 2 usage error, an unknown agent or an app that cannot be moved now,
4 the instances do not fit elsewhere, 5 a move failed and was rolled back, 6 failed (not rolled back),
7 --timeout passed, 8 an image of an app it moves could not be pinned (nothing changed), 10 refused outside an
app's disruption windows, 130 interrupted (re-run to resume),
1 an instance launched on the agents after the drain planned (re-run to move it) or another error.`;

/** `titan drain AGENT…|--advised`: empty agents with the deploy's gates, then mark them for maintenance. */
export function registerDrain(program: Command, ctx: CommandContext): void {
  const command = program
    .command("drain")
    .description(
      "move titan's instances off agents, with the deploy's health gates, then bring them down for maintenance",
    )
    .argument("[agent...]", "agent ids or hostnames");
  addFlags(command, drainFlagTable)
    .addHelpText("after", HELP)
    .action(
      flagAction(ctx, drainFlagTable, async (env, opts, agents: string[]) => {
        const { runDrain } = await import("./run.js");
        return runDrain(env, opts, agents);
      }),
    );
}
