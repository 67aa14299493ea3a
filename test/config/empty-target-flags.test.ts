import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeWebApp } from "../deploy/harness.js";
import { runCli } from "../support/cli.js";
import { isolatedHome } from "../support/state-home.js";

/** A config whose current context names a cluster nothing answers for, so a run that ignored the flag would fail otherwise. */
function setup(): { env: Record<string, string>; dir: string } {
  const home = isolatedHome();
  writeFileSync(
    join(home.dir, "config.yaml"),
    "clusters:\n  dead: { masters: [http://127.0.0.1:9] }\ncontexts:\n  dead: { cluster: dead }\ncurrent_context: dead\n",
    { mode: 0o600 },
  );
  return home;
}

describe("an empty target flag", () => {
  it.each([
    [["ps", "--master", ""], "--master"],
    [["ps", "--master", "  "], "--master"],
    [["--context", "", "ps"], "--context"],
    [["context", "show", "--master", ""], "--master"],
    [["status", "web", "--context", ""], "--context"],
    [["ps", "--region", ""], "--region"],
    [["status", "web", "--region", " "], "--region"],
  ])("is a usage error: titan %j", async (args, flag) => {
    const { env } = setup();
    const r = await runCli(args, { env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: ${flag} is empty`);
    expect(r.stderr).toContain("hint: ");
  });

  it("is refused by a dry-run deploy before anything is planned", async () => {
    const { env, dir } = setup();
    const file = writeWebApp(dir);
    const r = await runCli(["deploy", "-f", file, "--master", "", "--dry-run"], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("error: --master is empty");
    expect(r.stdout).toBe("");
  });

  it("counts as unset when it is an environment variable", async () => {
    const { env } = setup();
    const r = await runCli(["context", "show", "--json"], {
      env: { ...env, TITAN_MASTER: "", TITAN_CONTEXT: "" },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      context: "dead",
      context_from: "config",
      masters: ["http://127.0.0.1:9"],
    });
  });
});
