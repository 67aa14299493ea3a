/**
 * A small schema kit: each type both reads a positioned node (reporting every problem it finds) and describes
 * itself as JSON Schema, so the validator and `titan schema` come from one table (fields.ts).
 */

import { didYouMean } from "../cli/suggest.js";
import { describeCharacter, findControlCharacter } from "../cli/terminal-text.js";
import {
  describeKind,
  entryOf,
  entryPath,
  fromJson,
  type JsonValue,
  joinPath,
  locate,
  type MapNode,
  type PNode,
  type Pos,
  type ScalarNode,
} from "./node.js";

export interface Ctx {
  report(pos: Pos, path: string, message: string, hint?: string): void;
  /** How many problems were reported so far. */
  readonly count: number;
}

export type JsonSchema = { [key: string]: JsonValue };

export interface Type<T> {
  /** For messages: "a duration like 10s". */
  readonly expected: string;
  /** The value, or undefined after reporting why not. */
  read(node: PNode, path: string, ctx: Ctx): T | undefined;
  schema(): JsonSchema;
}

export type Result<T> = { ok: true; value: T } | { ok: false; message: string; hint?: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T>(message: string, hint?: string): Result<T> => ({
  ok: false,
  message,
  ...(hint === undefined ? {} : { hint }),
});

function mismatch(node: PNode, path: string, ctx: Ctx, expected: string): undefined {
  const hint =
    node.kind === "scalar" && node.value === null ? "give it a value, or remove the key" : undefined;
  ctx.report(node.pos, path, `expected ${expected}, got ${describeKind(node)}`, hint);
  return undefined;
}

/** A scalar type; `parse` sees only non-null scalars. */
export function scalarType<T>(
  expected: string,
  schema: () => JsonSchema,
  parse: (node: ScalarNode) => Result<T>,
): Type<T> {
  return {
    expected,
    schema,
    read(node, path, ctx) {
      if (node.kind !== "scalar" || node.value === null) return mismatch(node, path, ctx, expected);
      const result = parse(node);
      if (result.ok) return result.value;
      ctx.report(node.pos, path, result.message, result.hint);
      return undefined;
    },
  };
}

/** Whether text may hold tab and newline (command lines, scripts, env values); never other control characters. */
export interface TextOptions {
  lineBreaks?: boolean;
}

/**
 * Refuses NUL and the other control characters, which reach processes, Mesos calls, file names and terminals.
 * The message names the character, never the text (an env value may be a credential).
 */
export function controlProblem(value: string, options: TextOptions): Result<string> {
  const found = findControlCharacter(value, options);
  if (!found) return ok(value);
  const allowed = options.lineBreaks ? " (tab and newline are allowed here)" : "";
  return fail(
    `contains the control character ${describeCharacter(found.code)} at character ${found.index + 1}; it cannot be passed on safely${allowed}`,
    "remove it; titan passes text to processes, Mesos and terminals only without control characters",
  );
}

/** Text as written: strings, and numbers or booleans kept verbatim (`1.10`, `true`). */
export function text(options: TextOptions = {}): Type<string> {
  return scalarType(
    "text",
    () => ({ type: ["string", "number", "boolean"] }),
    (node) => controlProblem(typeof node.value === "string" ? node.value : node.text, options),
  );
}

export interface StringOptions extends TextOptions {
  pattern?: RegExp;
  /** What a valid value looks like, for the message when the pattern does not match. */
  describe?: string;
  hint?: string;
  maxLength?: number;
  check?: (value: string) => Result<string>;
}

/** A YAML string (numbers and booleans are refused: quote them). */
export function string(options: StringOptions = {}): Type<string> {
  return scalarType(
    "a string",
    () => ({
      type: "string",
      ...(options.pattern ? { pattern: options.pattern.source } : {}),
      ...(options.maxLength ? { maxLength: options.maxLength } : {}),
    }),
    (node) => {
      if (typeof node.value !== "string") {
        return fail(`expected a string, got ${describeKind(node)}`, `quote it: "${node.text}"`);
      }
      const value = node.value;
      if (options.maxLength !== undefined && value.length > options.maxLength) {
        return fail(`is ${value.length} characters long; at most ${options.maxLength} are allowed`);
      }
      const control = controlProblem(value, options);
      if (!control.ok) return control;
      if (options.pattern && !options.pattern.test(value)) {
        return fail(`${JSON.stringify(value)} is not ${options.describe ?? "valid"}`, options.hint);
      }
      return options.check ? options.check(value) : ok(value);
    },
  );
}

const YAML11_BOOLEANS = new Set(["yes", "no", "on", "off", "y", "n", "True", "False", "TRUE", "FALSE"]);

export function boolean(): Type<boolean> {
  return scalarType(
    "true or false",
    () => ({ type: "boolean" }),
    (node) => {
      if (typeof node.value === "boolean") return ok(node.value);
      if (typeof node.value === "string" && YAML11_BOOLEANS.has(node.value)) {
        return fail(
          `expected true or false, got the string ${JSON.stringify(node.value)}`,
          "YAML 1.2 reads yes/no/on/off as text; write true or false",
        );
      }
      return fail(`expected true or false, got ${describeKind(node)}`);
    },
  );
}

/** Names the YAML spelling of a number that is not finite, for messages. */
function describeNumber(node: ScalarNode): string {
  return typeof node.value === "number" && !Number.isFinite(node.value)
    ? `${node.text} (not a finite number)`
    : describeKind(node);
}

/** A whole number within a documented range (every number in the manifest has one). */
export function integer(options: { min: number; max: number; unit?: string }): Type<number> {
  const { min, max } = options;
  return scalarType(
    "a whole number",
    () => ({ type: "integer", minimum: min, maximum: max }),
    (node) => {
      const n = node.value;
      if (typeof n !== "number" || !Number.isFinite(n))
        return fail(`expected a whole number, got ${describeNumber(node)}`);
      if (!Number.isInteger(n)) return fail(`expected a whole number, got ${node.text}`);
      if (n < min) return fail(`must be at least ${min}, got ${node.text}`);
      if (n > max) return fail(`must be at most ${max}${options.unit ?? ""}, got ${node.text}`);
      return ok(n);
    },
  );
}

/** A number within a documented range; `decimals` is how many Mesos keeps (it rounds the rest away). */
export function decimal(options: { min: number; max: number; decimals?: number }): Type<number> {
  const { min, max } = options;
  return scalarType(
    "a number",
    () => ({ type: "number", minimum: min, maximum: max }),
    (node) => {
      const n = node.value;
      if (typeof n !== "number" || !Number.isFinite(n))
        return fail(`expected a number, got ${describeNumber(node)}`);
      if (n < min)
        return fail(`must be at least ${min}, got ${node.text}`, `write a number from ${min} to ${max}`);
      if (n > max)
        return fail(`must be at most ${max}, got ${node.text}`, `write a number from ${min} to ${max}`);
      if (options.decimals !== undefined) {
        const scaled = n * 10 ** options.decimals;
        if (Math.abs(scaled - Math.round(scaled)) > 1e-6) {
          const rounded = Math.min(max, Math.max(min, Number(n.toFixed(options.decimals))));
          return fail(
            `${node.text} has more than ${options.decimals} decimals`,
            `Mesos keeps ${options.decimals} decimals; write ${rounded}`,
          );
        }
      }
      return ok(n);
    },
  );
}

export function oneOfValues<T extends string>(values: readonly T[]): Type<T> {
  const list = values.map((v) => `\`${v}\``).join(", ");
  return scalarType(
    `one of ${list}`,
    () => ({ enum: [...values] }),
    (node) => {
      const found = values.find((v) => v === node.value);
      if (found !== undefined) return ok(found);
      const near = typeof node.value === "string" ? didYouMean(node.value, values) : undefined;
      return fail(
        `expected one of ${list}, got ${typeof node.value === "string" ? JSON.stringify(node.value) : describeKind(node)}`,
        near ? `did you mean \`${near}\`?` : undefined,
      );
    },
  );
}

export function list<T>(item: Type<T>, options: { minItems?: number } = {}): Type<T[]> {
  return {
    expected: `a list of ${item.expected}`,
    schema: () => ({
      type: "array",
      items: item.schema(),
      ...(options.minItems ? { minItems: options.minItems } : {}),
    }),
    read(node, path, ctx) {
      if (node.kind !== "seq") return mismatch(node, path, ctx, `a list of ${item.expected}`);
      if (options.minItems !== undefined && node.items.length < options.minItems) {
        ctx.report(
          node.pos,
          path,
          `needs at least ${options.minItems} item${options.minItems === 1 ? "" : "s"}`,
        );
        return undefined;
      }
      const out: T[] = [];
      let good = true;
      node.items.forEach((child, i) => {
        const value = item.read(child, joinPath(path, i), ctx);
        if (value === undefined) good = false;
        else out.push(value);
      });
      return good ? out : undefined;
    },
  };
}

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export interface KeyRule {
  pattern: RegExp;
  describe: string;
  /** Extra rule for a key that matches the pattern; returns a message to refuse it. */
  check?: (key: string) => { message: string; hint?: string } | undefined;
}

/** A mapping with free keys (env, labels, regions). */
export function dict<V>(keys: KeyRule, value: Type<V>): Type<Record<string, V>> {
  return {
    expected: "a mapping",
    schema: () => ({
      type: "object",
      propertyNames: { pattern: keys.pattern.source },
      additionalProperties: value.schema(),
    }),
    read(node, path, ctx) {
      if (node.kind !== "map") return mismatch(node, path, ctx, "a mapping");
      const out: Array<[string, V]> = [];
      let good = true;
      for (const entry of node.entries) {
        const at = entryPath(path, entry);
        if (FORBIDDEN_KEYS.has(entry.key) || !keys.pattern.test(entry.key)) {
          ctx.report(entry.keyPos, at, `\`${entry.key}\` is not ${keys.describe}`);
          good = false;
          continue;
        }
        const refused = keys.check?.(entry.key);
        if (refused) {
          ctx.report(entry.keyPos, at, refused.message, refused.hint);
          good = false;
          continue;
        }
        const v = value.read(entry.value, at, ctx);
        if (v === undefined) good = false;
        else out.push([entry.key, v]);
      }
      return good ? Object.fromEntries(out) : undefined;
    },
  };
}

/** Picks the type by the node's kind: a scalar shorthand or a full mapping. */
export function byKind<T>(
  expected: string,
  kinds: { scalar?: Type<T>; map?: Type<T>; seq?: Type<T> },
): Type<T> {
  const options = [kinds.scalar, kinds.map, kinds.seq].filter((t): t is Type<T> => t !== undefined);
  return {
    expected,
    schema: () => ({ anyOf: options.map((t) => t.schema()) }),
    read(node, path, ctx) {
      const type =
        node.kind === "scalar" && node.value !== null
          ? kinds.scalar
          : node.kind === "map"
            ? kinds.map
            : node.kind === "seq"
              ? kinds.seq
              : undefined;
      if (!type) return mismatch(node, path, ctx, expected);
      return type.read(node, path, ctx);
    },
  };
}

export function transform<A, B>(type: Type<A>, fn: (value: A) => B): Type<B> {
  return {
    expected: type.expected,
    schema: () => type.schema(),
    read(node, path, ctx) {
      const value = type.read(node, path, ctx);
      return value === undefined ? undefined : fn(value);
    },
  };
}

// ---- objects ----------------------------------------------------------------------------------------------

export interface Prop<T, Always extends boolean> {
  readonly type: Type<T>;
  readonly doc: string;
  readonly required: boolean;
  /** The documented default, as it would be written in YAML. */
  readonly fallback?: JsonValue;
  /** Phantom: whether the read object always holds this key. */
  readonly always?: Always;
}

export const required = <T>(type: Type<T>, doc: string): Prop<T, true> => ({ type, doc, required: true });
export const optional = <T>(type: Type<T>, doc: string): Prop<T, false> => ({ type, doc, required: false });
export const withDefault = <T>(type: Type<T>, fallback: JsonValue, doc: string): Prop<T, true> => ({
  type,
  doc,
  required: false,
  fallback,
});

export type Shape = { readonly [key: string]: Prop<unknown, boolean> };

export type Out<S extends Shape> = {
  [K in keyof S]: S[K] extends Prop<infer T, true>
    ? T
    : S[K] extends Prop<infer T, false>
      ? T | undefined
      : never;
};

/** Where an object's cross-field check reports: a path relative to the object. */
export interface At {
  readonly node: MapNode;
  readonly path: string;
  report(rel: ReadonlyArray<string | number>, message: string, hint?: string): void;
}

export interface ObjectOptions<S extends Shape> {
  /** Groups of keys of which at most one may be given. */
  exclusive?: ReadonlyArray<readonly (keyof S & string)[]>;
  /** Keys of which exactly one must be given. */
  exactlyOne?: readonly (keyof S & string)[];
  /** Cross-field rules, run when every field read cleanly. */
  check?: (value: Out<S>, at: At) => void;
  /** Cross-field rules run even when some fields were invalid (those are absent), so all problems show at once. */
  checkPartial?: (value: Partial<Out<S>>, at: At) => void;
}

export interface ObjectType<S extends Shape> extends Type<Out<S>> {
  readonly shape: S;
}

/** What each object read with an invalid field did read cleanly, for the enclosing object's cross-field rules. */
const partialReads = new WeakMap<PNode, Record<string, unknown>>();

/**
 * The fields of an object that read cleanly when the object as a whole did not (one of its fields was invalid):
 * a rule of the enclosing object that needs only those still runs, so every problem shows at once.
 */
export function partialRead<S extends Shape>(
  _type: ObjectType<S>,
  node: PNode | undefined,
): Partial<Out<S>> | undefined {
  return node === undefined ? undefined : (partialReads.get(node) as Partial<Out<S>> | undefined);
}

export function object<S extends Shape>(shape: S, options: ObjectOptions<S> = {}): ObjectType<S> {
  const keys = Object.keys(shape);
  const props = Object.entries(shape);
  // A default reads to the same value every time: it is read once, and each object gets its own copy.
  const defaults = new Map<string, { value: unknown }>();
  const readDefault = (
    key: string,
    prop: Prop<unknown, boolean>,
    node: PNode,
    path: string,
    ctx: Ctx,
  ): unknown => {
    const known = defaults.get(key);
    if (known) return copyPlain(known.value);
    const before = ctx.count;
    const value = prop.type.read(fromJson(prop.fallback as JsonValue, node.pos), joinPath(path, key), ctx);
    if (ctx.count === before && isPlain(value)) defaults.set(key, { value: copyPlain(value) });
    return value;
  };
  return {
    shape,
    expected: "a mapping",
    schema: () => objectSchema(shape, options),
    read(node, path, ctx) {
      if (node.kind !== "map") return mismatch(node, path, ctx, "a mapping");
      const before = ctx.count;
      for (const entry of node.entries) {
        if (Object.hasOwn(shape, entry.key)) continue;
        const near = didYouMean(entry.key, keys);
        ctx.report(
          entry.keyPos,
          entryPath(path, entry),
          `unknown key \`${entry.key}\``,
          near ? `did you mean \`${near}\`?` : `expected one of: ${keys.join(", ")}`,
        );
      }
      const out: Record<string, unknown> = {};
      let good = true;
      for (const [key, prop] of props) {
        const entry = entryOf(node, key);
        if (entry) {
          const value = prop.type.read(entry.value, entryPath(path, entry), ctx);
          if (value === undefined) good = false;
          else out[key] = value;
        } else if (prop.fallback !== undefined) {
          out[key] = readDefault(key, prop, node, path, ctx);
        } else if (prop.required) {
          ctx.report(node.pos, path, `missing required key \`${key}\``, `${key}: ${prop.doc}`);
          good = false;
        }
      }
      for (const group of options.exclusive ?? []) {
        const given = node.entries.filter((e) => group.includes(e.key));
        const second = given[1];
        if (second && given[0]) {
          ctx.report(
            second.keyPos,
            entryPath(path, second),
            `\`${given[0].key}\` and \`${second.key}\` cannot be used together`,
            `keep one of: ${group.join(", ")}`,
          );
          good = false;
        }
      }
      if (options.exactlyOne) {
        const group = options.exactlyOne;
        const given = node.entries.filter((e) => group.includes(e.key));
        if (given.length === 0) {
          ctx.report(node.pos, path, `needs one of: ${group.join(", ")}`);
          good = false;
        } else if (given.length > 1 && given[0] && given[1]) {
          ctx.report(
            given[1].keyPos,
            entryPath(path, given[1]),
            `\`${given[0].key}\` and \`${given[1].key}\` cannot be used together`,
            `keep exactly one of: ${group.join(", ")}`,
          );
          good = false;
        }
      }
      if (!good) partialReads.set(node, out);
      if (options.checkPartial === undefined && options.check === undefined)
        return good && ctx.count === before ? (out as Out<S>) : undefined;
      const at: At = {
        node,
        path,
        report: (rel, message, hint) => {
          const where = locate(node, path, rel);
          ctx.report(where.pos, where.path, message, hint);
        },
      };
      options.checkPartial?.(out as Partial<Out<S>>, at);
      if (!good) return undefined;
      const value = out as Out<S>;
      options.check?.(value, at);
      return ctx.count === before ? value : undefined;
    },
  };
}

/** Data made only of plain objects, arrays and primitives: what a copy by `copyPlain` reproduces exactly. */
function isPlain(value: unknown): boolean {
  if (value === null || typeof value !== "object") return typeof value !== "function";
  if (Array.isArray(value)) return value.every(isPlain);
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype && Object.values(value).every(isPlain);
}

function copyPlain(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copyPlain);
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = copyPlain((value as Record<string, unknown>)[key]);
  return copy;
}

function objectSchema<S extends Shape>(shape: S, options: ObjectOptions<S>): JsonSchema {
  const properties: JsonSchema = {};
  const requiredKeys: string[] = [];
  for (const [key, prop] of Object.entries(shape)) {
    properties[key] = {
      ...prop.type.schema(),
      description: prop.doc,
      ...(prop.fallback === undefined ? {} : { default: prop.fallback }),
    };
    if (prop.required) requiredKeys.push(key);
  }
  const rules: JsonSchema[] = [];
  for (const group of options.exclusive ?? []) {
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++)
        rules.push({ not: { required: [group[i] ?? "", group[j] ?? ""] } });
    }
  }
  return {
    type: "object",
    properties,
    additionalProperties: false,
    ...(requiredKeys.length > 0 ? { required: requiredKeys } : {}),
    ...(options.exactlyOne ? { oneOf: options.exactlyOne.map((k) => ({ required: [k] })) } : {}),
    ...(rules.length > 0 ? { allOf: rules } : {}),
  };
}

/**
 * A mapping whose kind is named by which one of several keys it holds (`unique: hostname`, `max_per: rack`).
 * Unknown or missing kinds get a did-you-mean over the kind keys.
 */
export function tagged<T>(label: string, variants: Readonly<Record<string, Type<T>>>): Type<T> {
  const tags = Object.keys(variants);
  return {
    expected: `a ${label}`,
    schema: () => ({ oneOf: Object.values(variants).map((v) => v.schema()) }),
    read(node, path, ctx) {
      if (node.kind !== "map")
        return mismatch(node, path, ctx, `a ${label} (a mapping like \`${tags[0]}: ...\`)`);
      const given = node.entries.filter((e) => tags.includes(e.key));
      const [first, second] = given;
      if (first && second) {
        ctx.report(
          second.keyPos,
          entryPath(path, second),
          `a ${label} has one kind; found \`${first.key}\` and \`${second.key}\``,
          `write each ${label} as its own list item`,
        );
        return undefined;
      }
      if (first) return variants[first.key]?.read(node, path, ctx);
      for (const entry of node.entries) {
        const near = didYouMean(entry.key, tags);
        if (near) {
          ctx.report(
            entry.keyPos,
            entryPath(path, entry),
            `unknown ${label} \`${entry.key}\``,
            `did you mean \`${near}\`?`,
          );
          return undefined;
        }
      }
      const unknown = node.entries[0];
      ctx.report(
        unknown ? unknown.keyPos : node.pos,
        unknown ? entryPath(path, unknown) : path,
        unknown ? `unknown ${label} \`${unknown.key}\`` : `an empty ${label}`,
        `a ${label} is one of: ${tags.join(", ")}`,
      );
      return undefined;
    },
  };
}
