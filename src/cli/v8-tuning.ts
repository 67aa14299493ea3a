import { setFlagsFromString } from "node:v8";
import { commandNameIn } from "../commands/index.js";

/**
 * V8's optimising compiler inlines callees up to a budget made for pages and servers that run for hours. A titan
 * command runs for seconds, and about half of a large plan runs before V8 has optimised titan's code
 * (docs/benchmarks.md, "A smaller inlining budget for commands that run once"): with a smaller budget each
 * optimisation is ready sooner and takes less of the CPU that the garbage collector's helper threads share. Code
 * optimised with it runs slower once everything is hot (placement about 1.2x in a process that runs it again and
 * again), so processes that stay up keep V8's defaults.
 */
export const SHORT_RUN_V8_FLAGS = "--max-inlined-bytecode-size-cumulative=100";

/**
 * The V8 major version the trade was measured on (Node 20). Another V8 tiers up differently (Node 22's has the
 * Maglev compiler) and could name the flag otherwise, which V8 reports on stderr: it keeps its defaults.
 */
const MEASURED_V8_MAJOR = 11;

/** Commands whose process stays up (for hours, or until interrupted) and does the same work again and again. */
const RESIDENT_COMMANDS: ReadonlySet<string> = new Set(["supervise", "local"]);

/** Whether the process that runs `argv` is short-lived. */
export function runsBriefly(argv: readonly string[]): boolean {
  const command = commandNameIn(argv);
  return command === undefined || !RESIDENT_COMMANDS.has(command);
}

/** The V8 flags for the process that runs `argv` on V8 `v8Version` (`process.versions.v8`); none to keep V8's own. */
export function v8FlagsFor(argv: readonly string[], v8Version: string): string | undefined {
  const major = Number.parseInt(v8Version, 10);
  return major === MEASURED_V8_MAJOR && runsBriefly(argv) ? SHORT_RUN_V8_FLAGS : undefined;
}

/** Sets V8's flags for the process that runs `argv`; called once, by the entry point, before any command runs. */
export function tuneV8For(argv: readonly string[]): void {
  const flags = v8FlagsFor(argv, process.versions.v8);
  if (flags !== undefined) setFlagsFromString(flags);
}
