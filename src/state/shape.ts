/**
 * A small structural checker for the JSON records of the state store: each check returns the first thing
 * wrong, as a path and a phrase ("releases[0].spec.instances: expected a whole number"), or undefined.
 */
import { findControlCharacter } from "../cli/terminal-text.js";

export type Check = (value: unknown, path: string) => string | undefined;

const at = (path: string, problem: string) => (path === "" ? problem : `${path}: ${problem}`);

export const str =
  (options: { pattern?: RegExp; lineBreaks?: boolean } = {}): Check =>
  (value, path) => {
    if (typeof value !== "string") return at(path, "expected text");
    if (findControlCharacter(value, { lineBreaks: options.lineBreaks === true }) !== undefined)
      return at(path, "holds a control character");
    if (options.pattern && !options.pattern.test(value)) return at(path, "is not in the expected form");
    return undefined;
  };

/** Any text, control characters included: for what titan itself wrote from messages (shown escaped). */
export const anyText: Check = (value, path) =>
  typeof value === "string" ? undefined : at(path, "expected text");

export const int =
  (min = 0): Check =>
  (value, path) =>
    typeof value === "number" && Number.isSafeInteger(value) && value >= min
      ? undefined
      : at(path, `expected a whole number of at least ${min}`);

export const num: Check = (value, path) =>
  typeof value === "number" && Number.isFinite(value) ? undefined : at(path, "expected a finite number");

export const bool: Check = (value, path) =>
  typeof value === "boolean" ? undefined : at(path, "expected true or false");

export const oneOf =
  (values: readonly string[]): Check =>
  (value, path) =>
    typeof value === "string" && values.includes(value)
      ? undefined
      : at(path, `expected one of ${values.join(", ")}`);

export const list =
  (item: Check): Check =>
  (value, path) => {
    if (!Array.isArray(value)) return at(path, "expected a list");
    for (const [i, v] of value.entries()) {
      const problem = item(v, `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  };

export const record =
  (item: Check): Check =>
  (value, path) => {
    if (!isObject(value)) return at(path, "expected an object");
    for (const [key, v] of Object.entries(value)) {
      const problem = str()(key, `${path}.<key>`) ?? item(v, `${path}.${key}`);
      if (problem) return problem;
    }
    return undefined;
  };

export interface Field {
  check: Check;
  optional?: boolean;
}

export const opt = (check: Check): Field => ({ check, optional: true });

/** An object with these fields (others are tolerated: a newer titan may add some). */
export const obj =
  (fields: Readonly<Record<string, Check | Field>>): Check =>
  (value, path) => {
    if (!isObject(value)) return at(path, "expected an object");
    for (const [key, spec] of Object.entries(fields)) {
      const field = typeof spec === "function" ? { check: spec } : spec;
      const inner = path === "" ? key : `${path}.${key}`;
      if (!Object.hasOwn(value, key) || value[key] === undefined) {
        if (field.optional) continue;
        return at(inner, "is missing");
      }
      const problem = field.check(value[key], inner);
      if (problem) return problem;
    }
    return undefined;
  };

/** The first check that fits the value's `kind` (or any for values without one). */
export const either =
  (...checks: Check[]): Check =>
  (value, path) => {
    let first: string | undefined;
    for (const check of checks) {
      const problem = check(value, path);
      if (problem === undefined) return undefined;
      first ??= problem;
    }
    return first;
  };

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
