import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { isolatedHome, storeWithApi } from "../support/state-home.js";

describe("an output file that cannot be written", () => {
  it("is a usage error for state export -o, checked before the store is read", async () => {
    const { env, dir } = isolatedHome();
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
    const { env, dir } = isolatedHome();
    const file = join(dir, "nodir", "titan.yaml");
    const r = await runCli(["init", "--yes", "--name", "x", "-f", file], { env, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: cannot write ${file} (its directory does not exist)`);
    expect(r.stderr).toContain("hint: ");
    expect(r.stderr).not.toContain("internal error");
  });
});
