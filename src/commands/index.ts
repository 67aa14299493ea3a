import type { Command } from "commander";
import { registerConfig } from "./config/command.js";
import { registerContext } from "./context/command.js";
import { registerDeploy } from "./deploy/command.js";
import { registerInit } from "./init/command.js";
import { registerLocal } from "./local/command.js";
import { registerLogs } from "./logs/command.js";
import { registerPlan } from "./plan/command.js";
import { registerPs } from "./ps/command.js";
import { registerReleases } from "./releases/command.js";
import { registerRestart } from "./restart/command.js";
import { registerRollback } from "./rollback/command.js";
import { registerScale } from "./scale/command.js";
import { registerSchema } from "./schema/command.js";
import { registerStop } from "./stop/command.js";
import type { CommandContext } from "./types.js";
import { registerValidate } from "./validate/command.js";
import { registerVersion } from "./version/command.js";

/** One line per command group. Registration is cheap: implementations load when a command runs. */
export function registerCommands(program: Command, ctx: CommandContext): void {
  registerValidate(program, ctx);
  registerPlan(program, ctx);
  registerDeploy(program, ctx);
  registerScale(program, ctx);
  registerRestart(program, ctx);
  registerRollback(program, ctx);
  registerReleases(program, ctx);
  registerStop(program, ctx);
  registerPs(program, ctx);
  registerLogs(program, ctx);
  registerInit(program, ctx);
  registerSchema(program, ctx);
  registerLocal(program, ctx);
  registerContext(program, ctx);
  registerConfig(program, ctx);
  registerVersion(program, ctx);
}
