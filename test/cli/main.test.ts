import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

describe("the command-line contract", () => {
  it("prints root help with the exit code table and exits 0", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: titan");
    expect(r.stdout).toContain("Exit codes:");
  });

  it("rejects an unknown command with exit 2 and a hint", async () => {
    const r = await runCli(["deploi"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: unknown command 'deploi'/);
    expect(r.stderr).toMatch(/hint:/);
  });

  it("rejects an unknown flag with exit 2", async () => {
    const r = await runCli(["version", "--frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--frobnicate");
  });

  it("prints the version as JSON on stdout", async () => {
    const r = await runCli(["version", "--json"]);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as { titan: string; node: string };
    expect(parsed.titan).toMatch(/^\d+\.\d+\.\d+/);
    expect(parsed.node).toBe(process.versions.node);
  });
});
