import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { isolatedHome, storeWithApi } from "../support/state-home.js";

describe("titan state export of something that is not there", () => {
  it("refuses an app the store holds no records of, naming those it holds", async () => {
    const { env, dir } = isolatedHome();
    const store = await storeWithApi(join(dir, "store"));
    const r = await runCli(["state", "export", "api", "nosuch", "--store", store], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("holds no records of nosuch");
    expect(r.stderr).toContain("hint: it holds: api");
  });

  it("refuses a --store that does not exist instead of exporting nothing", async () => {
    const { env, dir } = isolatedHome();
    const r = await runCli(["state", "export", "--store", pathToFileURL(join(dir, "nope")).href], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^error: the state store file:\/\/.*\/nope does not exist$/m);
    expect(r.stderr).toContain("hint: check --store");
    expect(existsSync(join(dir, "nope"))).toBe(false);
  });

  it("refuses the target's store when nothing was ever deployed with it", async () => {
    const { env } = isolatedHome();
    const r = await runCli(["state", "export"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("does not exist");
    expect(r.stderr).toContain("hint: nothing was deployed with this context yet");
  });

  it.each([
    ["zk://titan:env:ZK@127.0.0.1:22181/ti tan", 'the base path holds invalid characters: " "'],
    ["zk://127.0.0.1:22181/titan?x=1&pw=hunter2", "a query (?…) is not allowed"],
  ])("says what is wrong with the base path of %s", async (url, why) => {
    const { env } = isolatedHome();
    const r = await runCli(["state", "export", "--store", url], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`: ${why}`);
    expect(r.stderr).not.toContain("needs a base path");
    expect(r.stderr).not.toMatch(/env:ZK|hunter2/);
  });

  it.each([["export"], ["import"]])(
    "refuses a file:// URL that names no absolute directory (%s)",
    async (verb) => {
      const { env, dir } = isolatedHome();
      const exported = join(dir, "state.json");
      writeFileSync(exported, JSON.stringify({ format: "titan-state", version: 1, apps: [] }));
      const args = verb === "export" ? ["state", "export"] : ["state", "import", exported];
      const r = await runCli([...args, "--store", "file://relative/x"], { env, cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('error: "file://relative/x" does not name a directory on this machine');
      expect(r.stderr).toContain("hint: write file:///absolute/path");
      expect(r.stderr).not.toContain("internal error");
    },
  );
});
