import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const root = resolve(import.meta.dirname, "../..");
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("the command-line contract", () => {
  it("prints root help with the exit code table and exits 0", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: titan");
    expect(r.stdout).toContain("Exit codes:");
  });

  it("names in its Environment: line every TITAN_ variable titan reads, but the supervisor's timing knobs", async () => {
    const read = new Set<string>();
    for (const file of readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".ts")) continue;
      const text = readFileSync(join(root, "src", file), "utf8");
      for (const match of text.matchAll(/(?:vars\.|env\.|\(")(TITAN_[A-Z_]+)/g)) read.add(match[1] ?? "");
    }
    // Documented in docs/supervise.md for tests and tuning; the detached handoff is between titan and itself.
    const internal = /^TITAN_(SUPERVISE_\w+_MS|DETACHED_HANDOFF)$/;
    const listed = (await runCli(["--help"])).stdout.split("Environment:")[1] ?? "";
    const missing = [...read].filter(
      (name) => !internal.test(name) && !new RegExp(`\\b${name}\\b`).test(listed),
    );
    expect(read.size).toBeGreaterThan(5);
    expect(missing).toEqual([]);
  });

  it("rejects an unknown command with exit 2 and a hint", async () => {
    const r = await runCli(["deploi"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: unknown command 'deploi'/);
    expect(r.stderr).toMatch(/hint:/);
  });

  it("says an unknown command in one error line with its did-you-mean, and names the help to read", async () => {
    const r = await runCli(["deplyo"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: unknown command 'deplyo' (did you mean deploy?)\nhint: run `titan --help` for usage\n",
    );
  });

  it("points a mistyped flag at the help of the command it was given to", async () => {
    const r = await runCli(["deploy", "--fil", "titan.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: unknown option '--fil' (did you mean --file?)\nhint: run `titan deploy --help` for usage\n",
    );
    const nested = await runCli(["config", "set-clstr"]);
    expect(nested.stderr).toBe(
      "error: unknown command 'set-clstr' (did you mean set-cluster?)\nhint: run `titan config --help` for usage\n",
    );
  });

  it.each([
    [["deploy", "examples/hello/titan.yaml", "--yes"], "deploy -f examples/hello/titan.yaml --yes"],
    [["plan", "--context", "prod", "a.yaml", "b.yml"], "plan --context prod -f a.yaml -f b.yml"],
    [["validate", "web.yaml"], "validate -f web.yaml"],
  ])("points a manifest given as an argument (%j) at -f", async (argv, fixed) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: too many arguments for '\w+'\. Expected 0 arguments but got \d\.\n/);
    expect(r.stderr).toContain(`hint: a manifest is named with -f: \`titan ${fixed}\`\n`);
  });

  it("keeps the usage hint for an extra argument that is no manifest", async () => {
    const r = await runCli(["deploy", "web"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("hint: run `titan deploy --help` for usage");
  });

  it("answers help for no such command with the unknown-command error", async () => {
    const help = await runCli(["help", "nosuch"]);
    const direct = await runCli(["nosuch"]);
    expect(help.code).toBe(2);
    expect(help.stdout).toBe("");
    expect(help.stderr).toBe(direct.stderr);
    expect(help.stderr).toContain("error: unknown command 'nosuch'");
  });

  it.each([
    [["ps", "--json", "--bogus"], "unknown option '--bogus'", "ps"],
    [["stop", "--json"], "missing required argument 'apps'", "stop"],
    [["validate", "--json", "-f"], "option '-f, --file <file>' argument missing", "validate"],
  ])("prints a parse error of %j as the JSON error document too", async (argv, message, command) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 2, message, hint: `run \`titan ${command} --help\` for usage` },
      time: expect.stringMatching(ISO_TIME),
    });
  });

  it("stamps the JSON error document with its time, as every line of a deploy's --json stream is", async () => {
    const r = await runCli(["deploy", "-f", "missing.yaml", "--yes", "--json"]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { error: { message: string }; time: string };
    expect(doc.error.message).toContain("missing.yaml not found");
    expect(doc.time).toMatch(ISO_TIME);
    expect(Math.abs(Date.parse(doc.time) - Date.now())).toBeLessThan(60_000);
  });

  it.each([
    [["--context", "ps"], "--context", "ps"],
    [["--region", "status", "--no-color"], "--region", "status"],
    [["--master", "help"], "--master", "help"],
    [["--debug", "--context", "deploy", "-f", "titan.yaml"], "--context", "deploy"],
  ])("says %j gave a target flag no value, the command's name taken for it", async (argv, flag, command) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      `error: ${flag} has no value: ${command} is titan's command, given where the value goes`,
    );
    expect(r.stderr).toContain(`hint: give the value first: titan ${flag} `);
  });

  it("still takes a context, region or master value that is a command's name when a command follows", async () => {
    const r = await runCli(["--context", "ps", "version"]);
    expect(r.code, r.stderr).toBe(0);
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
