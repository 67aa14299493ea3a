import type { Command } from "commander";
import type { CommandContext } from "./types.js";
import { registerVersion } from "./version/command.js";

/** One line per command group. Registration is cheap: implementations load when a command runs. */
export function registerCommands(program: Command, ctx: CommandContext): void {
  registerVersion(program, ctx);
}
