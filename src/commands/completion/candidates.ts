import { Command, type Option } from "commander";
import { addFlags } from "../../cli/flags.js";
import { rootFlagTable } from "../../cli/root-flags.js";
import { targetFlagTable } from "../../cli/target-options.js";
import type { CatalogEntry } from "../catalog.js";
import type { CommandContext } from "../types.js";

/** The target flags typed on the line (`titan --context prod ps …`): whose state store names the apps. */
export interface TypedTarget {
  context?: string;
  region?: string;
  master?: string;
}

/** What completion may look up: the command catalog and, lazily, names from the config and the state store. */
export interface CompletionSources {
  catalog: readonly CatalogEntry[];
  apps(target: TypedTarget): Promise<string[]>;
  /** How many instances the app's current release has (its instance ids are 0..n-1). */
  instances(app: string, target: TypedTarget): Promise<number>;
  contexts(): Promise<string[]>;
  regions(): Promise<string[]>;
}

/**
 * Candidates for the word being typed, or `files` to let the shell complete a path. `open`: a candidate may go on
 * (an app name in `logs APP/N`), so the shell adds no space after it.
 */
export type Completion = { kind: "words"; words: string[]; open?: boolean } | { kind: "files" };

type Values = "apps" | "instances" | "contexts" | "regions" | "shells" | "files";

/**
 * What the first argument of a command (by its path) is. A variadic argument takes several; every value given
 * already is left out.
 */
const ARGUMENTS: Readonly<Record<string, Values>> = {
  ps: "apps",
  top: "apps",
  status: "apps",
  stop: "apps",
  supervise: "apps",
  releases: "apps",
  rollback: "apps",
  scale: "apps",
  restart: "apps",
  logs: "instances",
  "state export": "apps",
  "state import": "files",
  "context use": "contexts",
  "context show": "contexts",
  "config delete-context": "contexts",
  "config delete-region": "regions",
  completion: "shells",
};
const SHELLS = ["bash", "zsh", "fish"];
/** titan's own flags that mean something only before a command. */
const BEFORE_COMMAND_ONLY = new Set(["--version", "-V"]);

const noContext: CommandContext = {
  env: () => {
    throw new Error("completion never runs a command");
  },
  setExitCode: () => {},
};

/** The root program's options, as `src/main.ts` declares them, on a scratch program. */
function rootDefinition(): Command {
  return addFlags(addFlags(new Command("titan"), rootFlagTable), targetFlagTable);
}

/** The full definition of one command, registered on the scratch program (its run module is not loaded). */
async function definition(root: Command, entry: CatalogEntry): Promise<Command | undefined> {
  (await entry.load())(root, noContext);
  return root.commands.find((c) => c.name() === entry.name);
}

function flagsOf(command: Command): string[] {
  const flags = command.options.flatMap((o: Option) => [o.long, o.short].filter((f) => f !== undefined));
  return [...flags, "--help"];
}

function valueOption(command: Command, flag: string): Option | undefined {
  return command.options.find((o) => (o.long === flag || o.short === flag) && (o.required || o.optional));
}

function words(list: readonly string[], prefix: string): Extract<Completion, { kind: "words" }> {
  return { kind: "words", words: [...new Set(list)].filter((w) => w.startsWith(prefix)).sort() };
}

async function optionValue(
  option: Option,
  current: string,
  target: TypedTarget,
  sources: CompletionSources,
): Promise<Completion> {
  const name = option.attributeName();
  if (name === "context") return words(await sources.contexts(), current);
  if (name === "region") return words(await sources.regions(), current);
  if (name === "app") return words(await sources.apps(target), current);
  if (name === "file" || name === "snapshot" || name === "out" || name === "plan") return { kind: "files" };
  return words([], current);
}

async function positional(
  path: string,
  command: Command,
  args: readonly string[],
  current: string,
  target: TypedTarget,
  sources: CompletionSources,
): Promise<Completion> {
  const values = ARGUMENTS[path];
  const several = command.registeredArguments[0]?.variadic === true;
  if (values === undefined || (!several && args.length > 0)) return words([], current);
  if (values === "files") return { kind: "files" };
  if (values === "instances" && current.includes("/")) {
    const app = current.slice(0, current.indexOf("/"));
    const count = await sources.instances(app, target);
    return words(
      Array.from({ length: count }, (_, i) => `${app}/${i}`),
      current,
    );
  }
  // `logs app1` reads every instance, `logs app1/2` one: after the app name the word may go on with `/N`.
  if (values === "instances") return { ...words(await sources.apps(target), current), open: true };
  const all =
    values === "shells"
      ? SHELLS
      : values === "contexts"
        ? await sources.contexts()
        : values === "regions"
          ? await sources.regions()
          : await sources.apps(target);
  return words(
    all.filter((a) => !args.includes(a)),
    current,
  );
}

/** A value flag typed as `--flag=value`: its value is in the word. */
const inline = (word: string): boolean => word.startsWith("--") && word.includes("=");

/**
 * Completes the last of `typed` (the words after `titan`, the last one being typed, possibly empty): command
 * names, subcommands, flags (a command's and titan's own, before the command or after it), the values of
 * --context and --region, app names from the state store of the context the line targets and `APP/N` instance
 * ids for `logs`.
 */
export async function complete(typed: readonly string[], sources: CompletionSources): Promise<Completion> {
  const current = typed.at(-1) ?? "";
  const before = typed.slice(0, -1);
  const root = rootDefinition();
  let command = root;
  const path: string[] = [];
  const args: string[] = [];
  const target: TypedTarget = {};
  let pending: Option | undefined;
  for (let i = 0; i < before.length; i += 1) {
    const word = before[i] as string;
    if (word.startsWith("-")) {
      const option = inline(word) ? undefined : (valueOption(command, word) ?? valueOption(root, word));
      if (option === undefined) continue;
      const value = before[i + 1];
      if (value === undefined) pending = option;
      else {
        const name = option.attributeName();
        if (name === "context" || name === "region" || name === "master") target[name] = value;
      }
      i += 1;
      continue;
    }
    if (command === root) {
      const entry = sources.catalog.find((e) => e.name === word);
      const found = entry === undefined ? undefined : await definition(root, entry);
      if (found === undefined) return words([], current);
      command = found;
      path.push(word);
      continue;
    }
    const sub = args.length === 0 ? command.commands.find((c) => c.name() === word) : undefined;
    if (sub !== undefined) {
      command = sub;
      path.push(word);
    } else if (command.commands.length > 0 && command.registeredArguments.length === 0) {
      return words([], current);
    } else args.push(word);
  }
  if (pending !== undefined) return optionValue(pending, current, target, sources);
  if (current.startsWith("-")) {
    if (command === root) return words(flagsOf(root), current);
    const globals = flagsOf(root).filter((f) => !BEFORE_COMMAND_ONLY.has(f));
    return words([...flagsOf(command), ...globals], current);
  }
  if (command === root)
    return words(
      sources.catalog.map((e) => e.name),
      current,
    );
  if (command.commands.length > 0 && args.length === 0)
    return words(
      command.commands.map((c) => c.name()),
      current,
    );
  return positional(path.join(" "), command, args, current, target, sources);
}
