import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const built = pathToFileURL(join(import.meta.dirname, "..", "..", "dist", "config", "load.js")).href;

/** Runs `body` against the built config loader in a fresh process; it prints what it found as JSON. */
function inFreshProcess(body: string): unknown {
  const script = `
    import { createRequire } from "node:module";
    const { loadConfig } = await import(${JSON.stringify(built)});
    const yamlLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((p) => /[\\\\/]yaml[\\\\/]/.test(p));
    ${body}
  `;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

describe("the config loader and the YAML library", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "titan-lazy-yaml-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a missing config file without loading the YAML library, and loads it to write one", () => {
    const file = join(dir, "config.yaml");
    const found = inFreshProcess(`
      const loaded = await loadConfig(${JSON.stringify(file)});
      const before = yamlLoaded();
      loaded.document.setIn(["current_context"], "prod");
      const text = loaded.document.toString();
      console.log(JSON.stringify({ exists: loaded.exists, contexts: loaded.config.contexts, before, after: yamlLoaded(), text }));
    `);
    expect(found).toEqual({
      exists: false,
      contexts: {},
      before: false,
      after: true,
      text: "current_context: prod\n",
    });
  });

  it("reads and checks a config file that exists with the library", () => {
    const file = join(dir, "config.yaml");
    writeFileSync(file, "clusters:\n  prod:\n    masters: [http://10.0.0.1:5050]\n", { mode: 0o600 });
    const found = inFreshProcess(`
      const loaded = await loadConfig(${JSON.stringify(file)});
      console.log(JSON.stringify({ exists: loaded.exists, masters: loaded.config.clusters.prod.masters, yaml: yamlLoaded() }));
    `);
    expect(found).toEqual({ exists: true, masters: ["http://10.0.0.1:5050"], yaml: true });
  });
});
