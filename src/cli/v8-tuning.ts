import { setFlagsFromString } from "node:v8";
import { commandNameIn } from "../commands/index.js";

/**
 * V8's optimising compiler inlines callees up to a budget made for pages and servers that run for hours. A titan
 * command runs for seconds, and about half of a large plan runs before V8 has optimised titan's code
 * (docs/benchmarks.md, "A smaller inlining budget"): with a smaller budget each optimisation is ready sooner and
 * takes less of the CPU that the garbage collector's helper threads share. Code that is optimised with it runs
 * slower once everything is hot (placement about 1.2x in a process that runs it again and again), so processes that
 * stay up keep V8's default.
 */
export const SHORT_RUN_V8_FLAGS = "--max-inlined-bytecode-size-cumulative=100";

/** Commands whose process stays up (for hours, or until interrupted) and does the same work again and again. */
const RESIDENT_COMMANDS: ReadonlySet<string> = new Set(["supervise", "local"]);

/** Whether the process that runs `argv` is short-lived, and so is better served by `SHORT_RUN_V8_FLAGS`. */
export function runsBriefly(argv: readonly string[]): boolean {
  const command = commandNameIn(argv);
  return command === undefined || !RESIDENT_COMMANDS.has(command);
}

/** Sets V8's flags for the process that runs `argv`; called once, by the entry point, before any command runs. */
export function tuneV8For(argv: readonly string[]): void {
  if (runsBriefly(argv)) setFlagsFromString(SHORT_RUN_V8_FLAGS);
}
