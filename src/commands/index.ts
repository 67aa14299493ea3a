import type { Command } from "commander";
import { type CatalogEntry, catalog } from "./catalog.js";
import type { CommandContext } from "./types.js";

/** The global flags that take a value (`--context prod`): their value is not the command's name. */
const GLOBAL_VALUE_FLAGS = new Set(["--context", "--master", "--region"]);

/** The command is the first argument that is neither a flag nor a global flag's value (after `help`, the next). */
export function commandNameIn(argv: readonly string[]): string | undefined {
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (GLOBAL_VALUE_FLAGS.has(arg) && positional.length === 0) i += 1;
    else if (!arg.startsWith("-")) positional.push(arg);
  }
  return positional[0] === "help" ? positional[1] : positional[0];
}

/**
 * A target flag given before the command whose value is missing, commander having taken the command's name for it
 * (`titan --context ps` would run no command and print the root help): the flag and that name, when no command
 * name follows it. `titan --context ps version` is a context named ps.
 */
export function commandTakenAsValue(argv: readonly string[]): { flag: string; command: string } | undefined {
  const commands = new Set([...catalog.map((entry) => entry.name), "help"]);
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (!arg.startsWith("-")) return undefined;
    if (!GLOBAL_VALUE_FLAGS.has(arg)) continue;
    const value = argv[i + 1];
    if (value !== undefined && commands.has(value)) {
      const later = argv.slice(i + 2).filter((word) => !word.startsWith("-"));
      return later.some((word) => commands.has(word)) ? undefined : { flag: arg, command: value };
    }
    i += 1;
  }
  return undefined;
}

/**
 * Registers the command being run with its full definition and every other command as a catalog entry: enough
 * for the root help, `titan help`, and did-you-mean on a mistyped name, without loading their modules.
 */
export async function registerCommands(
  program: Command,
  ctx: CommandContext,
  argv: readonly string[],
): Promise<void> {
  const wanted = commandNameIn(argv);
  const terms = new Map<string, string>();
  for (const entry of catalog) {
    if (entry.name === wanted) {
      (await entry.load())(program, ctx);
      continue;
    }
    registerEntry(program, entry);
    terms.set(entry.name, entry.term);
  }
  program.configureHelp({
    ...program.configureHelp(),
    subcommandTerm: (command) => terms.get(command.name()) ?? defaultTerm(command),
  });
}

function registerEntry(program: Command, entry: CatalogEntry): void {
  program
    .command(entry.name)
    .description(entry.summary)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments();
}

/** commander's own term: name, `[options]` when there are options, then the arguments. */
function defaultTerm(command: Command): string {
  const args = command.registeredArguments.map((arg) => {
    const name = `${arg.name()}${arg.variadic ? "..." : ""}`;
    return arg.required ? `<${name}>` : `[${name}]`;
  });
  return [command.name(), ...(command.options.length > 0 ? ["[options]"] : []), ...args].join(" ");
}
