import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { manifestJsonSchema } from "../../src/manifest/index.js";
import { runManifestCommand } from "./harness.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

const isObject = (v: Json | undefined): v is { [key: string]: Json } =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A small JSON Schema checker for the keywords `titan schema` uses; returns the failing paths. */
function check(root: Schema, schema: Schema, value: Json, path = "$"): string[] {
  const errors: string[] = [];
  const sub = (s: Json | undefined, v: Json, p: string) => (isObject(s) ? check(root, s, v, p) : []);
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/$defs/", "");
    const defs = root.$defs;
    return isObject(defs) ? sub(defs[name], value, path) : [`${path}: unresolved ${schema.$ref}`];
  }
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length > 0) {
    const actual =
      value === null
        ? "null"
        : Array.isArray(value)
          ? "array"
          : typeof value === "number" && Number.isInteger(value)
            ? "integer"
            : typeof value;
    const fits = types.some((t) => t === actual || (t === "number" && actual === "integer"));
    if (!fits) return [`${path}: expected ${types.join("|")}, got ${actual}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: not in enum`);
  if (
    typeof value === "string" &&
    typeof schema.pattern === "string" &&
    !new RegExp(schema.pattern, "u").test(value)
  ) {
    errors.push(`${path}: does not match ${schema.pattern}`);
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) errors.push(`${path}: below minimum`);
    if (typeof schema.exclusiveMinimum === "number" && value <= schema.exclusiveMinimum)
      errors.push(`${path}: not above minimum`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems)
      errors.push(`${path}: too few items`);
    for (const [i, item] of value.entries()) errors.push(...sub(schema.items, item, `${path}[${i}]`));
  }
  if (isObject(value)) {
    const props = isObject(schema.properties) ? schema.properties : {};
    for (const key of Array.isArray(schema.required) ? schema.required : []) {
      if (typeof key === "string" && !(key in value)) errors.push(`${path}: missing ${key}`);
    }
    for (const [key, v] of Object.entries(value)) {
      if (key in props) errors.push(...sub(props[key], v, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected ${key}`);
      else errors.push(...sub(schema.additionalProperties, v, `${path}.${key}`));
      if (
        isObject(schema.propertyNames) &&
        typeof schema.propertyNames.pattern === "string" &&
        !new RegExp(schema.propertyNames.pattern, "u").test(key)
      ) {
        errors.push(`${path}: bad key ${key}`);
      }
    }
  }
  for (const s of Array.isArray(schema.allOf) ? schema.allOf : []) errors.push(...sub(s, value, path));
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => sub(s, value, path).length === 0))
    errors.push(`${path}: matches no anyOf`);
  if (
    Array.isArray(schema.oneOf) &&
    schema.oneOf.filter((s) => sub(s, value, path).length === 0).length !== 1
  ) {
    errors.push(`${path}: does not match exactly one oneOf`);
  }
  if (isObject(schema.not) && sub(schema.not, value, path).length === 0) errors.push(`${path}: matches not`);
  return errors;
}

const schema = manifestJsonSchema() as Schema;
const FIXTURES = join(import.meta.dirname, "../../fixtures/manifests");
const load = (name: string): Json => parse(readFileSync(join(FIXTURES, name), "utf8"), { version: "1.2" });

describe("titan schema", () => {
  it("prints draft 2020-12 JSON on stdout", async () => {
    const result = await runManifestCommand(["schema"]);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(printed.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(printed).toEqual(JSON.parse(JSON.stringify(schema)));
    expect(result.stderr).toBe("");
  });

  it("describes every field, with the defaults the validator applies", () => {
    const app = (schema.$defs as Schema).app as Schema;
    const props = app.properties as Schema;
    expect(Object.keys(props)).toEqual([
      "name",
      "image",
      "command",
      "shell",
      "env",
      "fetch",
      "resources",
      "ports",
      "instances",
      "regions",
      "rollout",
      "constraints",
      "placement",
      "health",
      "update",
      "restart",
      "disruption",
      "kill_grace",
      "user",
      "labels",
      "platform",
    ]);
    expect(app.required).toEqual(["name"]);
    const update = (props.update as Schema).properties as Schema;
    expect((update.max_surge as Schema).default).toBe("25%");
    expect((update.max_unavailable as Schema).default).toBe(0);
    const rollout = (props.rollout as Schema).properties as Schema;
    expect(Object.keys(rollout)).toEqual(["waves", "soak", "on_failure"]);
    expect((rollout.on_failure as Schema).default).toBe("abort");
    const windows = ((props.disruption as Schema).properties as Schema).windows as Schema;
    const window = (windows.items as Schema).properties as Schema;
    expect(Object.keys(window)).toEqual(["days", "hours", "time_zone"]);
    expect((window.time_zone as Schema).default).toBe("UTC");
    const region = ((props.regions as Schema).additionalProperties ??
      (props.regions as Schema).patternProperties) as Schema;
    expect(JSON.stringify(region)).toContain('"instances"');
    for (const [key, prop] of Object.entries(props))
      expect((prop as Schema).description, key).toEqual(expect.any(String));
  });

  it.each(readdirSync(FIXTURES).filter((f) => f.endsWith(".yaml")))("accepts %s", (name) => {
    expect(check(schema, schema, load(name))).toEqual([]);
  });

  it.each([
    ["an unknown key", { name: "api", image: "nginx", imgae: "x" }, /unexpected imgae/],
    ["a missing name", { image: "nginx" }, /missing name/],
    ["a decimal memory unit", { name: "api", resources: { mem: "512MB" } }, /mem/],
    [
      "two constraint kinds",
      { name: "api", constraints: [{ unique: "hostname", balance: "zone" }] },
      /constraints\[0\]/,
    ],
    ["command with shell", { name: "api", command: ["a"], shell: "a" }, /matches not/],
    ["two probes", { name: "api", health: { http: { port: "a" }, tcp: { port: "a" } } }, /health/],
    ["a duration without unit", { name: "api", kill_grace: 30 }, /kill_grace/],
  ] as const)("refuses %s", (_desc, doc, why) => {
    expect(check(schema, schema, doc as Json)).not.toEqual([]);
    const app = (schema.$defs as Schema).app as Schema;
    expect(check(schema, app, doc as Json).join("\n")).toMatch(why);
  });
});
