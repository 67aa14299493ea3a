import { negatedFlag, switchFlag } from "./flags.js";

/**
 * titan's own flags, given before the command (`--no-color` and `--debug` after it too). With the target flags
 * (`target-options.ts`) they are the root program's options, and what completion offers before a command.
 */
export const rootFlagTable = {
  color: negatedFlag("--no-color", "disable colour (also NO_COLOR=1)"),
  debug: switchFlag("--debug", "print stack traces and request traces (secrets redacted)"),
  version: switchFlag("-V, --version", "print titan's version (as `titan version`)"),
} as const;
