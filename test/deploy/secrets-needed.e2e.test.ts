import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { FAST, home, liveTasks, titan, writeWebApp } from "./harness.js";

const SECRET = '  DB_PASSWORD: { secret: "env:TITAN_TEST_DB_PASSWORD" }';

/** App `web` deployed with its secret set; the caller then goes on without it. */
async function deployedWithSecret(instances: number) {
  const local = await startTestCluster(FAST);
  const h = home();
  const file = writeWebApp(h.cwd, { instances, extraEnv: SECRET });
  const vars = { ...h.vars, TITAN_TEST_DB_PASSWORD: "canary-5e1d" };
  expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], { ...h, vars })).code).toBe(0);
  const run = (argv: string[]) => titan([...argv, "--master", local.url], h);
  return { local, h, file, run };
}

describe("secrets a change does not launch with", () => {
  it("are not needed to stop an app or scale it to 0", async () => {
    const { local, run } = await deployedWithSecret(2);
    const scaled = await run(["scale", "web", "0", "--yes"]);
    expect(scaled.stderr).not.toContain("error:");
    expect(scaled.code).toBe(0);
    expect(await liveTasks(local.url)).toEqual([]);
    expect((await run(["scale", "web", "1", "--yes"])).stderr).toContain(
      "error: secret env:TITAN_TEST_DB_PASSWORD is not set",
    );
    const stopped = await run(["stop", "web", "--purge", "--yes"]);
    expect(stopped.stderr).not.toContain("error:");
    expect(stopped.code).toBe(0);
  }, 40_000);
});

describe("a --dry-run of a change that launches with a secret it cannot read", () => {
  it("fails as the change would, before anything changes, and never shows the value", async () => {
    const { local, h, file, run } = await deployedWithSecret(1);
    const before = (await liveTasks(local.url)).map((t) => t.id);
    writeWebApp(h.cwd, { instances: 1, version: "2", extraEnv: SECRET });
    for (const argv of [
      ["deploy", "-f", file, "--dry-run"],
      ["deploy", "-f", file, "--yes"],
      ["scale", "web", "2", "--dry-run"],
      ["restart", "web", "--dry-run"],
    ]) {
      const result = await run(argv);
      expect(result.code, argv.join(" ")).toBe(1);
      expect(result.stderr).toContain(
        "error: secret env:TITAN_TEST_DB_PASSWORD is not set\nhint: export TITAN_TEST_DB_PASSWORD before running titan",
      );
      expect(result.stderr).not.toContain("Dry run");
    }
    expect((await liveTasks(local.url)).map((t) => t.id)).toEqual(before);

    const vars = { ...h.vars, TITAN_TEST_DB_PASSWORD: "canary-5e1d" };
    const dry = await titan(["deploy", "-f", file, "--master", local.url, "--dry-run"], { ...h, vars });
    expect(dry.code).toBe(0);
    expect(dry.stdout + dry.stderr).not.toContain("canary-5e1d");
  }, 40_000);
});
