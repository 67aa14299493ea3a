import { Command, type Option } from "commander";
import type { CatalogEntry } from "../catalog.js";
import type { CommandContext } from "../types.js";

/** What completion may look up: the command catalog and, lazily, names from the config and the state store. */
export interface CompletionSources {
  catalog: readonly CatalogEntry[];
  apps(): Promise<string[]>;
  /** How many instances the app's current release has (its instance ids are 0..n-1). */
  instances(app: string): Promise<number>;
  contexts(): Promise<string[]>;
  regions(): Promise<string[]>;
}

/** Candidates for the word being typed, or `files` to let the shell complete a path. */
export type Completion = { kind: "words"; words: string[] } | { kind: "files" };

const GLOBAL_FLAGS = ["--help", "--debug", "--no-color"];
/** Commands whose positional arguments are app names. */
const APP_COMMANDS = new Set(["ps", "logs", "status", "releases", "rollback", "stop", "scale", "restart"]);
const SHELLS = ["bash", "zsh", "fish"];

const noContext: CommandContext = {
  env: () => {
    throw new Error("completion never runs a command");
  },
  setExitCode: () => {},
};

/** The full definition of one command, registered on a scratch program (its run module is not loaded). */
async function definition(entry: CatalogEntry): Promise<Command | undefined> {
  const scratch = new Command("titan");
  (await entry.load())(scratch, noContext);
  return scratch.commands.find((c) => c.name() === entry.name);
}

function flagsOf(command: Command): string[] {
  const flags = command.options.flatMap((o: Option) => [o.long, o.short].filter((f) => f !== undefined));
  return [...flags, "--help"];
}

function takesValue(command: Command, flag: string): Option | undefined {
  return command.options.find((o) => (o.long === flag || o.short === flag) && (o.required || o.optional));
}

function words(list: readonly string[], prefix: string): Completion {
  return { kind: "words", words: [...new Set(list)].filter((w) => w.startsWith(prefix)).sort() };
}

async function optionValue(option: Option, current: string, sources: CompletionSources): Promise<Completion> {
  const name = option.attributeName();
  if (name === "context") return words(await sources.contexts(), current);
  if (name === "region") return words(await sources.regions(), current);
  if (name === "app") return words(await sources.apps(), current);
  if (name === "file" || name === "snapshot" || name === "out" || name === "plan") return { kind: "files" };
  return words([], current);
}

async function positional(
  name: string,
  args: readonly string[],
  current: string,
  sources: CompletionSources,
) {
  if (name === "completion") return words(args.length === 0 ? SHELLS : [], current);
  if (!APP_COMMANDS.has(name)) return words([], current);
  if (name === "logs" && current.includes("/")) {
    const app = current.slice(0, current.indexOf("/"));
    const count = await sources.instances(app);
    return words(
      Array.from({ length: count }, (_, i) => `${app}/${i}`),
      current,
    );
  }
  // Commands that take one app complete only the first positional; ps, stop and status take several.
  const several = name === "ps" || name === "stop" || name === "status";
  if (!several && args.length > 0) return words([], current);
  return words(
    (await sources.apps()).filter((a) => !args.includes(a)),
    current,
  );
}

/**
 * Completes the last of `typed` (the words after `titan`, the last one being typed, possibly empty): command
 * names, subcommands, a command's flags, the values of --context and --region, app names from the state store and
 * `APP/N` instance ids for `logs`.
 */
export async function complete(typed: readonly string[], sources: CompletionSources): Promise<Completion> {
  const current = typed.at(-1) ?? "";
  const before = typed.slice(0, -1).filter((w) => !GLOBAL_FLAGS.includes(w));
  if (before.length === 0) {
    if (current.startsWith("-")) return words(GLOBAL_FLAGS, current);
    return words(
      sources.catalog.map((e) => e.name),
      current,
    );
  }
  const entry = sources.catalog.find((e) => e.name === before[0]);
  if (entry === undefined) return words([], current);
  let command = await definition(entry);
  if (command === undefined) return words([], current);
  let rest = before.slice(1);
  if (command.commands.length > 0) {
    const sub = command.commands.find((c) => c.name() === rest[0]);
    if (sub === undefined)
      return words(
        current.startsWith("-") ? flagsOf(command) : command.commands.map((c) => c.name()),
        current,
      );
    command = sub;
    rest = rest.slice(1);
  }
  const leaf = command;
  const previous = rest.at(-1);
  const pending = previous === undefined ? undefined : takesValue(leaf, previous);
  if (pending !== undefined) return optionValue(pending, current, sources);
  if (current.startsWith("-")) return words(flagsOf(leaf), current);
  const args = rest.filter((w, i) => !w.startsWith("-") && takesValue(leaf, rest[i - 1] ?? "") === undefined);
  return positional(entry.name, args, current, sources);
}
