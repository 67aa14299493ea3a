import type { Command } from "commander";
import type { CommandContext } from "./types.js";
import { registerConfig } from "./config/command.js";
import { registerContext } from "./context/command.js";
import { registerVersion } from "./version/command.js";

/** One line per command group. Registration is cheap: implementations load when a command runs. */
export function registerCommands(program: Command, ctx: CommandContext): void {
  registerContext(program, ctx);
  registerConfig(program, ctx);
  registerVersion(program, ctx);
}
