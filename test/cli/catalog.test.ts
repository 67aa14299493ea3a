import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { catalog } from "../../src/commands/catalog.js";
import { commandNameIn } from "../../src/commands/index.js";
import type { CommandContext } from "../../src/commands/types.js";
import { runCli } from "../support/cli.js";

const ctx: CommandContext = {
  env: () => {
    throw new Error("not run");
  },
  setExitCode: () => undefined,
};

function term(command: Command): string {
  const args = command.registeredArguments.map((arg) => {
    const name = `${arg.name()}${arg.variadic ? "..." : ""}`;
    return arg.required ? `<${name}>` : `[${name}]`;
  });
  return [command.name(), ...(command.options.length > 0 ? ["[options]"] : []), ...args].join(" ");
}

describe("the command catalog", () => {
  it.each(catalog.map((entry) => [entry.name, entry] as const))(
    "lists %s exactly as its module declares it",
    async (name, entry) => {
      const program = new Command("titan");
      (await entry.load())(program, ctx);
      const command = program.commands.find((c) => c.name() === name);
      expect(command, `${name} registers a command of that name`).toBeDefined();
      expect(entry.summary).toBe(command?.description());
      expect(entry.term).toBe(term(command as Command));
    },
  );

  it("gives every command and subcommand help with examples", async () => {
    const paths: string[][] = [];
    const walk = (command: Command, path: string[]) => {
      paths.push(path);
      for (const sub of command.commands) walk(sub, [...path, sub.name()]);
    };
    for (const entry of catalog) {
      const program = new Command("titan");
      (await entry.load())(program, ctx);
      for (const command of program.commands) walk(command, [command.name()]);
    }
    const missing: string[] = [];
    for (const path of paths) {
      const r = await runCli([...path, "--help"]);
      if (r.code !== 0 || !/Examples?:/.test(r.stdout)) missing.push(path.join(" "));
    }
    expect(missing).toEqual([]);
    expect(paths.length).toBeGreaterThanOrEqual(30);
  });

  it("finds the command being run past global flags and `help`", () => {
    expect(commandNameIn(["--no-color", "plan", "-f", "x.yaml"])).toBe("plan");
    expect(commandNameIn(["help", "deploy"])).toBe("deploy");
    expect(commandNameIn(["--help"])).toBeUndefined();
  });
});
