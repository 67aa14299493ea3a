import type { Command, CommanderError } from "commander";
import { UsageError } from "./errors.js";

/** The global flags that take a value: their value is not a command name. */
const VALUE_FLAGS = new Set(["--context", "--master", "--region"]);

/** The commands named on the line, as far as they exist: `config set-clstr x` → [config]. */
export function commandPathIn(program: Command, argv: readonly string[]): string[] {
  const path: string[] = [];
  let current = program;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (VALUE_FLAGS.has(arg)) i += 1;
    if (arg.startsWith("-")) continue;
    const next = current.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (next === undefined) break;
    path.push(arg);
    current = next;
  }
  return path;
}

/**
 * commander's parse errors as titan's usage error: one line with the did-you-mean folded in
 * ("unknown command 'deplyo' (did you mean deploy?)") and a hint naming the help to read.
 */
export function usageErrorFrom(error: CommanderError, program: Command, argv: readonly string[]): UsageError {
  const [first = "", ...rest] = error.message.replace(/^error: /, "").split("\n");
  const suggestion = /^\(Did you mean (.+)\?\)$/.exec(rest.join(" ").trim());
  const message =
    suggestion === null ? [first, ...rest].join(" ").trim() : `${first} (did you mean ${suggestion[1]}?)`;
  const help = ["titan", ...commandPathIn(program, argv), "--help"].join(" ");
  return new UsageError(message, `run \`${help}\` for usage`);
}

/** `titan help NAME` for a NAME that is no command: the same error as `titan NAME`. */
export function helpTargetAsCommand(program: Command, argv: readonly string[]): readonly string[] {
  const positional = argv.filter((arg) => !arg.startsWith("-"));
  if (positional[0] !== "help" || positional[1] === undefined) return argv;
  const name = positional[1];
  if (program.commands.some((c) => c.name() === name || c.aliases().includes(name))) return argv;
  return [name];
}
