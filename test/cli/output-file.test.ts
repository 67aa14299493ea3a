import { mkdirSync } from "node:fs";
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

describe("an output file that cannot be written", () => {
  it("is a usage error for state export -o, checked before the store is read", async () => {
    const { env, dir } = home();
    const store = await storeWithApi(join(dir, "store"));
    mkdirSync(join(dir, "adir"));
    const cases: Array<[string, string]> = [
      [join(dir, "nodir", "x.json"), "its directory does not exist"],
      [join(dir, "adir"), "it is a directory"],
    ];
    for (const [output, reason] of cases) {
      const r = await runCli(["state", "export", "--store", store, "-o", output], { env });
      expect(r.code, output).toBe(2);
      expect(r.stderr).toContain(`error: cannot write ${output} (${reason})`);
      expect(r.stderr).toContain("hint: ");
      expect(r.stderr).not.toContain("internal error");
    }
  });

  it("is a usage error for init -f, before any question is asked", async () => {
    const { env, dir } = home();
    const file = join(dir, "nodir", "titan.yaml");
    const r = await runCli(["init", "--yes", "--name", "x", "-f", file], { env, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: cannot write ${file} (its directory does not exist)`);
    expect(r.stderr).toContain("hint: ");
    expect(r.stderr).not.toContain("internal error");
  });
});
