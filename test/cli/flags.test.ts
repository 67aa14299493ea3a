import { Command } from "commander";
import { describe, expect, it } from "vitest";
import {
  addFlags,
  defaultedFlag,
  listFlag,
  negatedFlag,
  type OptionsOf,
  readFlags,
  switchFlag,
  valueFlag,
} from "../../src/cli/flags.js";

const table = {
  files: listFlag("-f, --file <file>", "manifest, repeatable"),
  yes: switchFlag("-y, --yes", "do not ask"),
  autoRollback: negatedFlag("--no-auto-rollback", "stop instead of rolling back"),
  timeout: valueFlag("--timeout <duration>", "give up after this long"),
  port: defaultedFlag("--port <port>", "the port", "5050"),
  context: valueFlag("--context <name>", "the context"),
} as const;

function parse(argv: string[], globals: string[] = []): OptionsOf<typeof table> {
  let seen: OptionsOf<typeof table> | undefined;
  const root = new Command("titan").exitOverride();
  addFlags(root, { context: table.context });
  const command = root.command("go");
  addFlags(command, table).action((_opts, cmd: Command) => {
    seen = readFlags(table, cmd);
  });
  root.parse([...globals, "go", ...argv], { from: "user" });
  if (!seen) throw new Error("the action did not run");
  return seen;
}

describe("flag tables", () => {
  it("read each kind of flag with its default when absent", () => {
    expect(parse([])).toEqual({
      files: [],
      yes: false,
      autoRollback: true,
      timeout: undefined,
      port: "5050",
      context: undefined,
    });
  });

  it("read every value given, repeatable ones in order", () => {
    expect(
      parse([
        "-f",
        "a.yaml",
        "--file",
        "b.yaml",
        "-y",
        "--no-auto-rollback",
        "--timeout",
        "5m",
        "--port",
        "0",
      ]),
    ).toEqual({
      files: ["a.yaml", "b.yaml"],
      yes: true,
      autoRollback: false,
      timeout: "5m",
      port: "0",
      context: undefined,
    });
  });

  it("see a global flag given before the command", () => {
    expect(parse([], ["--context", "prod"]).context).toBe("prod");
    expect(parse(["--context", "staging"]).context).toBe("staging");
  });

  it("put every flag and its help in the command's help", () => {
    const command = addFlags(new Command("go"), table);
    const help = command.helpInformation();
    for (const spec of Object.values(table)) {
      expect(help).toContain(spec.flag);
      expect(help).toContain(spec.help);
    }
    expect(help).toContain('(default: "5050")');
  });
});
