import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { colorLevel } from "../../src/cli/io.js";
import { runCli } from "../support/cli.js";

const root = resolve(import.meta.dirname, "../..");
const broken = join(root, "fixtures/manifests/invalid/typos.yaml");
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escape sequences is the point
const ANSI = /\u001b\[\d+m/;

describe("colour", () => {
  it.each([
    [{ isTTY: true, env: {}, noColorFlag: false }, 1],
    [{ isTTY: false, env: {}, noColorFlag: false }, 0],
    [{ isTTY: true, env: { NO_COLOR: "1" }, noColorFlag: false }, 0],
    [{ isTTY: true, env: { NO_COLOR: "" }, noColorFlag: false }, 1],
    [{ isTTY: true, env: {}, noColorFlag: true }, 0],
    [{ isTTY: false, env: { FORCE_COLOR: "1" }, noColorFlag: false }, 1],
    [{ isTTY: true, env: { FORCE_COLOR: "0" }, noColorFlag: false }, 0],
    [{ isTTY: true, env: { TERM: "dumb" }, noColorFlag: false }, 0],
    [{ isTTY: false, env: { FORCE_COLOR: "1", NO_COLOR: "1" }, noColorFlag: false }, 0],
  ])("colorLevel(%j) is %i", (inputs, level) => {
    expect(colorLevel(inputs)).toBe(level);
  });

  it("colours diagnostics only when asked, and never with NO_COLOR or --no-color", async () => {
    const forced = await runCli(["validate", "-f", broken], {
      env: { NO_COLOR: undefined, FORCE_COLOR: "1" },
    });
    expect(forced.code).toBe(2);
    expect(forced.stderr).toMatch(ANSI);
    const plain = await runCli(["validate", "-f", broken], { env: { NO_COLOR: "1" } });
    expect(plain.stderr).not.toMatch(ANSI);
    const flag = await runCli(["--no-color", "validate", "-f", broken], {
      env: { NO_COLOR: undefined, FORCE_COLOR: "1" },
    });
    expect(flag.stderr).not.toMatch(ANSI);
    expect(flag.stderr).toBe(plain.stderr);
  });

  it("keeps JSON output free of colour even when colour is forced", async () => {
    const r = await runCli(["validate", "-f", broken, "--json"], {
      env: { NO_COLOR: undefined, FORCE_COLOR: "1" },
    });
    expect(r.stdout).not.toMatch(ANSI);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  });
});
