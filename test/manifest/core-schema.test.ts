/**
 * The fast reader resolves plain scalars without the YAML library: every text must resolve exactly as the library's
 * core schema resolves it (its default scalar tags, first match wins), and a plain manifest must not load the library.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isScalar, type ScalarTag, Schema } from "yaml";
import { resolveCorePlain } from "../../src/manifest/core-schema.js";

const coreTags = new Schema({ schema: "core", merge: false, resolveKnownTags: false }).tags.filter(
  (tag): tag is ScalarTag => !("collection" in tag && tag.collection) && tag.default === true,
);

/** The library's own resolution of a plain scalar. */
function libraryValue(text: string): unknown {
  const tag = coreTags.find((t) => t.test?.test(text));
  if (!tag) return text;
  const resolved = tag.resolve(text, () => undefined, { intAsBigInt: false });
  return isScalar(resolved) ? resolved.value : resolved;
}

const CORNERS = [
  "",
  "~",
  "null",
  "Null",
  "NULL",
  "nULL",
  "nul",
  "true",
  "True",
  "TRUE",
  "tRUE",
  "false",
  "False",
  "FALSE",
  "yes",
  "no",
  "on",
  "0",
  "-0",
  "+0",
  "007",
  "0o17",
  "0o8",
  "0O17",
  "0x1F",
  "0x1f",
  "0X1F",
  "0x",
  "0xg",
  "+12",
  "-12",
  "1_000",
  "12:30",
  "0b101",
  "1e3",
  "1E3",
  "1e+3",
  "-1.5e-3",
  "1e",
  "e1",
  ".5",
  "5.",
  "-.5",
  "+5.",
  ".",
  "-",
  "+",
  ".inf",
  ".Inf",
  ".INF",
  "+.inf",
  "-.Inf",
  ".iNF",
  "inf",
  ".nan",
  ".NaN",
  ".NAN",
  "+.nan",
  "-.nan",
  "nan",
  "9007199254740993",
  "123456789012345678901234567890",
  "1.2.3",
  "0.1",
  "00.10",
  "fast",
  "Tuesday",
  "m5.2xlarge",
  "1Gi",
  "10s",
  "~x",
  "-x",
];

describe("resolveCorePlain", () => {
  it("resolves the corners of every core tag as the library does", () => {
    for (const text of CORNERS)
      expect(resolveCorePlain(text), JSON.stringify(text)).toEqual(libraryValue(text));
  });

  it("resolves any short text of number-like characters as the library does", () => {
    const char = fc.constantFrom(..."0123456789+-.eEoOxXabfinNaIFtTrulsS~_ ");
    fc.assert(
      fc.property(fc.string({ unit: char, maxLength: 10 }), (text) => {
        expect(resolveCorePlain(text)).toEqual(libraryValue(text));
      }),
      { numRuns: 5000 },
    );
  });

  it("leaves the YAML library unloaded for a plain manifest", () => {
    const built = (path: string) => pathToFileURL(join(import.meta.dirname, "..", "..", "dist", path)).href;
    const script = `
      import { createRequire } from "node:module";
      const { parseYaml } = await import(${JSON.stringify(built("manifest/yaml.js"))});
      const parsed = parseYaml("titan.yaml", "name: web\\ninstances: 3\\nresources: { cpus: 0.5, mem: 1Gi }\\n");
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify({
        read: parsed.root !== undefined && parsed.diagnostics.length === 0,
        library: loaded.some((path) => /[\\\\/]node_modules[\\\\/]yaml[\\\\/]/.test(path)),
      }));
    `;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ read: true, library: false });
  });
});
