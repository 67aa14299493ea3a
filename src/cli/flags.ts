import { type Command, Option } from "commander";

/**
 * A command's flags, declared once: each entry gives the flag as commander spells it, its help line and what
 * kind of value it takes. The table yields the command's options type (`OptionsOf`), registers the commander
 * options (`addFlags`) and reads the parsed values back (`readFlags`), so a flag is never restated.
 */
export type FlagSpec =
  /** A switch: false unless given. */
  | { readonly kind: "switch"; readonly flag: string; readonly help: string }
  /** A `--no-x` switch: true unless given. */
  | { readonly kind: "negated"; readonly flag: string; readonly help: string }
  /** A flag with a value, undefined unless given. */
  | { readonly kind: "value"; readonly flag: string; readonly help: string }
  /** A repeatable flag with a value: every value given, in order. */
  | { readonly kind: "list"; readonly flag: string; readonly help: string }
  /** A flag with a value and a default, shown in the help. */
  | { readonly kind: "defaulted"; readonly flag: string; readonly help: string; readonly fallback: string };

export type FlagTable = Readonly<Record<string, FlagSpec>>;

type ValueOf<S extends FlagSpec> = S["kind"] extends "switch" | "negated"
  ? boolean
  : S["kind"] extends "list"
    ? string[]
    : string;

type ValueKeys<T extends FlagTable> = { [K in keyof T]: T[K]["kind"] extends "value" ? K : never }[keyof T];

/** The options a command's run function receives, derived from its table: a flag with a value may be absent. */
export type OptionsOf<T extends FlagTable> = {
  -readonly [K in Exclude<keyof T, ValueKeys<T>>]: ValueOf<T[K]>;
} & { -readonly [K in ValueKeys<T>]?: string | undefined };

export const switchFlag = (flag: string, help: string) => ({ kind: "switch", flag, help }) as const;
export const negatedFlag = (flag: string, help: string) => ({ kind: "negated", flag, help }) as const;
export const valueFlag = (flag: string, help: string) => ({ kind: "value", flag, help }) as const;
export const listFlag = (flag: string, help: string) => ({ kind: "list", flag, help }) as const;
export const defaultedFlag = (flag: string, help: string, fallback: string) =>
  ({ kind: "defaulted", flag, help, fallback }) as const;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Registers every flag of the table on the command. */
export function addFlags(command: Command, table: FlagTable): Command {
  for (const spec of Object.values(table)) {
    const option = new Option(spec.flag, spec.help);
    if (spec.kind === "list") option.argParser(collect);
    if (spec.kind === "defaulted") option.default(spec.fallback);
    command.addOption(option);
  }
  return command;
}

/**
 * The table's options from what commander parsed, including the global flags given before the command (a
 * command's own flag wins over the same global one).
 */
export function readFlags<T extends FlagTable>(table: T, command: Command): OptionsOf<T> {
  const parsed = command.optsWithGlobals<Record<string, unknown>>();
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const value = parsed[new Option(spec.flag).attributeName()];
    switch (spec.kind) {
      case "switch":
        out[key] = value === true;
        break;
      case "negated":
        out[key] = value !== false;
        break;
      case "list":
        out[key] = Array.isArray(value) ? value.map(String) : [];
        break;
      case "defaulted":
        out[key] = typeof value === "string" ? value : spec.fallback;
        break;
      default:
        out[key] = typeof value === "string" ? value : undefined;
    }
  }
  return out as OptionsOf<T>;
}
