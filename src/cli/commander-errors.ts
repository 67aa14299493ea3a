import type { Command, CommanderError } from "commander";
import { commandLine } from "./command-line.js";
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
  const path = commandPathIn(program, argv);
  const fixed =
    error.code === "commander.excessArguments" ? manifestsWithFlag(program, path, argv) : undefined;
  if (fixed !== undefined)
    return new UsageError(message, `a manifest is named with -f: \`${commandLine(["titan", ...fixed])}\``);
  const help = ["titan", ...path, "--help"].join(" ");
  return new UsageError(message, `run \`${help}\` for usage`);
}

const MANIFEST = /\.ya?ml$/i;

/**
 * The line again with each manifest given as an argument (`titan deploy web.yaml`) named with -f instead, for a
 * command that takes its manifests with -f; undefined when an extra argument is not a manifest's file name.
 */
function manifestsWithFlag(
  program: Command,
  path: readonly string[],
  argv: readonly string[],
): string[] | undefined {
  let command: Command | undefined = program;
  for (const name of path)
    command = command?.commands.find((c) => c.name() === name || c.aliases().includes(name));
  if (command === undefined || !command.options.some((o) => o.long === "--file")) return undefined;
  const takesValue = new Set(VALUE_FLAGS);
  for (const option of command.options)
    if (option.required || option.optional)
      for (const flag of [option.long, option.short]) if (flag !== undefined) takesValue.add(flag);
  const words: string[] = [];
  let names = 0;
  let moved = 0;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (takesValue.has(arg)) {
      words.push(arg, ...argv.slice(i + 1, i + 2));
      i += 1;
    } else if (arg.startsWith("-") || (names < path.length && arg === path[names])) {
      if (!arg.startsWith("-")) names += 1;
      words.push(arg);
    } else if (MANIFEST.test(arg)) {
      words.push("-f", arg);
      moved += 1;
    } else return undefined;
  }
  return moved > 0 ? words : undefined;
}

/** `titan help NAME` for a NAME that is no command: the same error as `titan NAME`. */
export function helpTargetAsCommand(program: Command, argv: readonly string[]): readonly string[] {
  const positional = argv.filter((arg) => !arg.startsWith("-"));
  if (positional[0] !== "help" || positional[1] === undefined) return argv;
  const name = positional[1];
  if (program.commands.some((c) => c.name() === name || c.aliases().includes(name))) return argv;
  return [name];
}
