import type { Command } from "commander";
import { registerLogs } from "../../src/commands/logs/command.js";
import { registerPs } from "../../src/commands/ps/command.js";
import type { CommandContext } from "../../src/commands/types.js";

/** Adds `ps` and `logs` to a program unless the command index already registers them. */
export function addSupervisionCommands(program: Command, ctx: CommandContext): void {
  const has = (name: string): boolean => program.commands.some((c) => c.name() === name);
  if (!has("ps")) registerPs(program, ctx);
  if (!has("logs")) registerLogs(program, ctx);
}
