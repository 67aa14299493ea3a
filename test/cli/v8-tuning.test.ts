import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runsBriefly, SHORT_RUN_V8_FLAGS, v8FlagsFor } from "../../src/cli/v8-tuning.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("V8 settings per command", () => {
  it("gives commands that run once and exit the short-run settings", () => {
    for (const argv of [
      ["plan", "--snapshot", "s.json"],
      ["ps"],
      ["--context", "prod", "deploy"],
      ["logs", "api", "-f"],
      ["--version"],
      [],
    ])
      expect(runsBriefly(argv), argv.join(" ")).toBe(true);
  });

  it("leaves V8's defaults to processes that stay up and do the same work again and again", () => {
    for (const argv of [
      ["supervise"],
      ["--context", "supervise", "supervise", "--once"],
      ["local", "up", "--foreground"],
      ["help", "supervise"],
    ])
      expect(runsBriefly(argv), argv.join(" ")).toBe(false);
  });

  it("sets them only on the V8 they were measured on (Node 20's), for commands that run once", () => {
    expect(v8FlagsFor(["plan"], "11.3.244.8-node.33")).toBe(SHORT_RUN_V8_FLAGS);
    expect(v8FlagsFor(["supervise"], "11.3.244.8-node.33")).toBeUndefined();
    expect(v8FlagsFor(["plan"], "12.4.254.21-node.33")).toBeUndefined();
    expect(v8FlagsFor(["plan"], "13.6.233.10-node.27")).toBeUndefined();
  });

  // V8 reports a flag it does not know on stderr ("unrecognized flag"), and would otherwise carry on without it.
  it("applies them from the entry point, flags V8 knows, without changing what a command prints", () => {
    const run = spawnSync(process.execPath, [join(root, "bin", "titan.js"), "version", "--json"], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveProperty("titan");
  });
});
