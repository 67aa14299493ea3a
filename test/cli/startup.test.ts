import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support/tmp.js";

const root = join(import.meta.dirname, "..", "..");
const register = join(root, "test", "support", "import-trace-register.mjs");

function modulesLoadedBy(args: string[]): string[] {
  const trace = join(tempDir(), "imports.txt");
  const result = spawnSync(process.execPath, ["--import", register, join(root, "bin", "titan.js"), ...args], {
    env: { ...process.env, TITAN_TRACE_IMPORTS: trace, NO_COLOR: "1" },
    encoding: "utf8",
  });
  expect(result.status, result.stderr).toBe(0);
  return existsSync(trace) ? readFileSync(trace, "utf8").split("\n").filter(Boolean) : [];
}

describe("start-up", () => {
  it("runs the built JavaScript and loads no command implementation, network or prompt library for --help", () => {
    const loaded = modulesLoadedBy(["--help"]);
    expect(loaded.some((url) => url.includes("/dist/main.js"))).toBe(true);
    expect(loaded.some((url) => url.endsWith(".ts"))).toBe(false);
    for (const heavy of [
      "/undici/",
      "/yaml/",
      "/@inquirer/",
      "/ora/",
      "/dist/placement/",
      "/dist/manifest/",
      "/dist/mesos/",
      "/run.js",
    ]) {
      expect(
        loaded.filter((url) => url.includes(heavy)),
        heavy,
      ).toEqual([]);
    }
  });

  it("loads a command's implementation only when that command runs", () => {
    const loaded = modulesLoadedBy(["version"]);
    expect(loaded.some((url) => url.endsWith("/dist/commands/version/run.js"))).toBe(true);
    expect(loaded.some((url) => url.includes("/dist/commands/context/"))).toBe(false);
  });
});

describe("process edges", () => {
  // Quietly, and not with 0: the schema went nowhere (docs/ps-and-logs.md, "any command").
  it("exits quietly with 130 when the reader of stdout goes away", async () => {
    const child = spawn(process.execPath, [join(root, "bin", "titan.js"), "schema"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(130);
  });
});
