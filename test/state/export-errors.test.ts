import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { FileStateStore } from "../../src/state/file-store.js";
import { appSpec } from "../plan/builders.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

/** A file store holding one release of `api`. */
async function storeWithApi(dir: string): Promise<string> {
  const store = new FileStateStore(pathToFileURL(dir).href, { clock: { now: () => 1 }, hostname: "laptop" });
  await store.addRelease({
    app: "api",
    manifestDigest: "sha256:a",
    spec: appSpec({ name: "api" }),
    user: "ana",
  });
  await store.close();
  return pathToFileURL(dir).href;
}

function home(): { env: Record<string, string>; dir: string } {
  const dir = tempDir();
  return {
    dir,
    env: {
      TITAN_CONFIG: join(dir, "config.yaml"),
      XDG_DATA_HOME: join(dir, "data"),
      TITAN_STATE_DIR: join(dir, "state"),
    },
  };
}

describe("titan state export of something that is not there", () => {
  it("refuses an app the store holds no records of, naming those it holds", async () => {
    const { env, dir } = home();
    const store = await storeWithApi(join(dir, "store"));
    const r = await runCli(["state", "export", "api", "nosuch", "--store", store], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("holds no records of nosuch");
    expect(r.stderr).toContain("hint: it holds: api");
  });

  it("refuses a --store that does not exist instead of exporting nothing", async () => {
    const { env, dir } = home();
    const r = await runCli(["state", "export", "--store", pathToFileURL(join(dir, "nope")).href], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^error: the state store file:\/\/.*\/nope does not exist$/m);
    expect(r.stderr).toContain("hint: check --store");
    expect(existsSync(join(dir, "nope"))).toBe(false);
  });

  it("refuses the target's store when nothing was ever deployed with it", async () => {
    const { env } = home();
    const r = await runCli(["state", "export"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("does not exist");
    expect(r.stderr).toContain("hint: nothing was deployed with this context yet");
  });

  it.each([["export"], ["import"]])(
    "refuses a file:// URL that names no absolute directory (%s)",
    async (verb) => {
      const { env, dir } = home();
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
