import { describe, expect, it } from "vitest";
import { fitHelpText, helpWidthOf } from "../../src/cli/help-layout.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

/** The subcommands a help text lists under `Commands:`. */
function subcommands(help: string): string[] {
  const section = help.split("\nCommands:\n")[1]?.split("\n\n")[0] ?? "";
  return section
    .split("\n")
    .flatMap((line) => /^ {2}([a-z][a-z-]*)/.exec(line)?.[1] ?? [])
    .filter((name) => name !== "help");
}

describe("--help on a narrow terminal", () => {
  it("fits every line of every command's help in COLUMNS=80", async () => {
    const dir = tempDir("titan-help-");
    const env = { HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir, XDG_STATE_HOME: dir, COLUMNS: "80" };
    const long: string[] = [];
    const seen: string[] = [];
    const visit = async (path: string[]): Promise<void> => {
      const result = await runCli([...path, "--help"], { env, cwd: dir });
      expect(result.code, path.join(" ")).toBe(0);
      seen.push(path.join(" "));
      for (const line of result.stdout.split("\n"))
        if (line.length > 80) long.push(`titan ${path.join(" ")}: ${line}`);
      for (const sub of subcommands(result.stdout)) await visit([...path, sub]);
    };
    await visit([]);
    expect(seen).toContain("local up");
    expect(long).toEqual([]);
  }, 60_000);

  it("is laid out for COLUMNS, else the terminal, else 80", () => {
    expect(helpWidthOf({ COLUMNS: "60" }, { isTTY: true, columns: 120 })).toBe(60);
    expect(helpWidthOf({}, { isTTY: true, columns: 120 })).toBe(120);
    expect(helpWidthOf({ COLUMNS: "wide" }, {})).toBe(80);
  });

  it("refills a paragraph and wraps an example's description under its column", () => {
    const text = `${"word ".repeat(30).trim()}\n\n  titan ps      ${"says ".repeat(20).trim()}\n`;
    const fitted = fitHelpText(text, 40).split("\n");
    expect(Math.max(...fitted.map((l) => l.length))).toBeLessThanOrEqual(40);
    expect(fitted).toContain("  titan ps      says says says says says");
    expect(fitted).toContain("                says says says says says");
  });
});
