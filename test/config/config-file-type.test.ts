import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { devNull } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

function envFor(config: string): Record<string, string> {
  const dir = tempDir();
  return { TITAN_CONFIG: config, XDG_DATA_HOME: join(dir, "data"), TITAN_STATE_DIR: join(dir, "state") };
}

describe("TITAN_CONFIG naming something other than a file", () => {
  it.each([
    ["a private directory", 0o700],
    ["a directory every user can write", 0o777],
  ])("refuses %s as a directory, never suggesting chmod", async (_what, mode) => {
    const dir = join(tempDir(), "conf.d");
    mkdirSync(dir);
    chmodSync(dir, mode);
    const r = await runCli(["context", "show"], { env: envFor(dir) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: the config file ${dir} is a directory, not a file`);
    expect(r.stderr).toContain("hint: TITAN_CONFIG must name a file");
    expect(r.stderr).not.toContain("chmod");
  });

  it.skipIf(process.platform === "win32")(
    "refuses a FIFO before reading it (a read would wait for a writer)",
    async () => {
      const fifo = join(tempDir(), "config.fifo");
      execFileSync("mkfifo", ["-m", "600", fifo]);
      const r = await runCli(["context", "show"], { env: envFor(fifo) });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`error: the config file ${fifo} is a FIFO, not a file`);
    },
  );

  it("names the file that stands where a directory of its path should be", async () => {
    const file = join(tempDir(), "plain");
    writeFileSync(file, "", { mode: 0o600 });
    const r = await runCli(["context", "show"], { env: envFor(join(file, "config.yaml")) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `error: the config file ${join(file, "config.yaml")} cannot exist: ${file} on its path is a file, not a directory`,
    );
    expect(r.stderr).not.toContain("internal error");
  });

  it.skipIf(process.platform === "win32")(
    "reads /dev/null as an empty config, and writes nothing to it",
    async () => {
      const env = envFor(devNull);
      const show = await runCli(["context", "show"], { env });
      expect(show.code, show.stderr).toBe(0);
      expect(show.stdout).toMatch(/\blocal\b/);
      const view = await runCli(["config", "view"], { env });
      expect(view.code, view.stderr).toBe(0);
      expect(view.stderr).toContain(`TITAN_CONFIG is ${devNull}: no config`);
      const before = statSync(devNull);
      for (const argv of [
        ["config", "set-cluster", "c", "--master", "http://10.0.0.1:5050"],
        ["context", "use", "local"],
      ]) {
        const r = await runCli(argv, { env });
        expect(r.code, argv.join(" ")).toBe(2);
        expect(r.stderr).toContain(
          `error: TITAN_CONFIG is ${devNull}: titan reads no config and writes none there`,
        );
        expect(r.stderr).not.toContain("chmod");
      }
      const after = statSync(devNull);
      expect(after.isCharacterDevice()).toBe(true);
      expect(after.ino).toBe(before.ino);
    },
  );
});
