import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode, exitCodeTable } from "../../src/cli/exit-codes.js";
import { runCli } from "../support/cli.js";

/**
 * Every command whose docs page lists its exit codes says the same codes in its `--help`: a code added on one side
 * only fails here. Codes are the numbers of the contract (src/cli/exit-codes.ts) that stand alone in the passage.
 */
const root = resolve(import.meta.dirname, "../..");
const CODES = new Set<number>(Object.values(ExitCode));

function codesIn(text: string): number[] {
  const found = new Set<number>();
  for (const match of text.matchAll(/(?<![\w.,/-])(\d{1,3})(?![\w.%/-]|,\d)/g)) {
    const code = Number(match[1]);
    if (CODES.has(code)) found.add(code);
  }
  return [...found].sort((a, b) => a - b);
}

/** The passage of a doc from the first line starting with `from` up to the first line after it matching `to`. */
function passage(doc: string, from: string, to: RegExp): string {
  const lines = readFileSync(join(root, doc), "utf8").split("\n");
  const start = lines.findIndex((line) => line.startsWith(from));
  if (start < 0) throw new Error(`${doc}: no line starts with ${from}`);
  const end = lines.findIndex((line, index) => index > start && to.test(line));
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

/** From the sentence that starts a paragraph's exit codes to the paragraph's end. */
function sentence(doc: string, opening: string): string {
  const text = readFileSync(join(root, doc), "utf8");
  const start = text.indexOf(opening);
  if (start < 0) throw new Error(`${doc}: no ${opening}`);
  const end = text.indexOf("\n\n", start);
  return text.slice(start, end < 0 ? undefined : end);
}

const documented: ReadonlyArray<readonly [command: string, docs: () => string]> = [
  ["deploy", () => passage("docs/deploy.md", "## Exit codes", /^## /)],
  ["plan", () => passage("docs/plan.md", "## Exit codes", /^An unusable snapshot/)],
  ["ps", () => passage("docs/ps-and-logs.md", "| `ps` |", /^/)],
  ["logs", () => passage("docs/ps-and-logs.md", "| `logs` |", /^/)],
  ["top", () => sentence("docs/ps-and-logs.md", "Exit 0 shown")],
  ["status", () => sentence("docs/ps-and-logs.md", "Exit codes of `titan status`:")],
  ["supervise", () => sentence("docs/supervise.md", "Exit codes: 0 stopped")],
  ["drain", () => sentence("docs/scaling.md", "Exit codes: 0 drained")],
  ...["scale", "restart", "rollback", "stop", "releases"].map(
    (command) => [command, () => sentence("docs/deploy.md", `Exit codes of \`titan ${command}\`:`)] as const,
  ),
  ["init", () => sentence("docs/manifest.md", "Exit codes of `titan init`:")],
  ["validate", () => sentence("docs/manifest.md", "Exit codes of `titan validate`:")],
  ["schema", () => sentence("docs/manifest.md", "Exit codes of `titan schema`:")],
  ["state export", () => sentence("docs/state.md", "Exit codes of `titan state export`:")],
  ["state import", () => sentence("docs/state.md", "Exit codes of `titan state import`:")],
  ...["up", "status", "down", "agents", "agents add", "agents remove"].map(
    (sub) =>
      [
        `local ${sub}`,
        () => sentence("docs/local-cluster.md", `Exit codes of \`titan local ${sub.split(" ")[0]}\`:`),
      ] as const,
  ),
  ...[
    "config",
    "config set-cluster",
    "config set-region",
    "config set-context",
    "config view",
    "config path",
    "config delete-cluster",
    "config delete-region",
    "config delete-context",
  ].map((command) => [command, () => sentence("README.md", "Exit codes of `titan config`:")] as const),
  ...["context", "context list", "context use", "context show"].map(
    (command) => [command, () => sentence("README.md", "Exit codes of `titan context`:")] as const,
  ),
  ["completion", () => sentence("README.md", "Exit codes of `titan completion`:")],
  ["version", () => sentence("README.md", "Exit codes of `titan version`:")],
];

describe.each(documented)("titan %s --help", (command, docs) => {
  it("lists the exit codes its docs page lists", async () => {
    const help = await runCli([...command.split(" "), "--help"]);
    expect(help.code).toBe(0);
    const at = help.stdout.indexOf("Exit codes:");
    expect(at, "the help has an Exit codes: line").toBeGreaterThanOrEqual(0);
    expect(codesIn(help.stdout.slice(at))).toEqual(codesIn(docs()));
  });
});

/** Every command a user runs (a group's subcommands, not the group): `titan --help` and each group's help list them. */
async function commandsOf(words: readonly string[]): Promise<string[]> {
  const help = await runCli([...words, "--help"]);
  const listed = help.stdout.split("\nCommands:\n")[1]?.split("\n\n")[0] ?? "";
  const names = [...listed.matchAll(/^ {2}([a-z][\w-]*)/gm)]
    .map((match) => match[1] ?? "")
    .filter((name) => name !== "help");
  const commands: string[] = [];
  for (const name of names) {
    const path = [...words, name];
    const inner = await commandsOf(path);
    commands.push(...(inner.length === 0 ? [path.join(" ")] : inner));
  }
  return commands;
}

describe("every command", () => {
  it("has its exit codes checked here", async () => {
    const checked = new Set(documented.map(([command]) => command));
    const missing = (await commandsOf([])).filter((command) => !checked.has(command));
    expect(missing).toEqual([]);
  });
});

describe("the README's table of exit codes", () => {
  it("says what `titan --help` says of each code", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const rows = [...readme.matchAll(/^\| (\d+) +\| (.+?) *\|$/gm)].map(
      ([, code, meaning]) => [Number(code), (meaning ?? "").replaceAll("`", "")] as const,
    );
    expect(rows).toEqual(exitCodeTable.map(([code, meaning]) => [code, meaning]));
  });
});
