import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppSpec } from "../../src/manifest/types.js";
import { FileStateStore } from "../../src/state/file-store.js";
import { ZkStateStore } from "../../src/state/zk-store.js";
import { parseZkUrl } from "../../src/state/zk-url.js";
import { appSpec } from "../plan/builders.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";
import { startZooKeeper, type ZkEnsemble } from "../support/zookeeper.js";

let zk: ZkEnsemble;

beforeAll(async () => {
  zk = await startZooKeeper(1);
}, 90_000);

afterAll(async () => {
  await zk?.stop();
});

const spec = (name: string, instances: number): AppSpec =>
  appSpec({ name, instances, image: `r/${name}:1`, env: { A: { kind: "plain", value: "ü ✓" } } });

/** A file store with every kind of record: several releases with outcomes and details, framework ids, progress. */
async function richFileStore(dir: string): Promise<string> {
  let now = 1_700_000_000_000;
  const store = new FileStateStore(pathToFileURL(dir).href, {
    clock: { now: () => now++ },
    hostname: "laptop",
  });
  for (const [app, count] of [
    ["api", 3],
    ["web", 1],
  ] as const) {
    for (let i = 1; i <= count; i++) {
      await store.addRelease({
        app,
        image: `r/${app}:${i}`,
        manifestDigest: `sha256:${app}${i}`,
        spec: spec(app, i),
        user: "ana",
      });
      await store.finishRelease(
        app,
        i,
        i === count ? "deployed" : "superseded",
        i === 2 ? "replaced by 3" : undefined,
      );
    }
    await store.setFrameworkId(app, `fw-${app}-0001`);
  }
  await store.saveProgress("api", {
    release: 3,
    phase: "finished",
    launched: ["api.3.0.1", "api.3.1.1"],
    updatedAt: 5,
  });
  await store.addRelease({
    app: "solo",
    manifestDigest: "sha256:solo",
    spec: spec("solo", 0),
    user: "bo",
    command: "titan stop solo --context prod",
  });
  return pathToFileURL(dir).href;
}

const appsOf = (file: string): unknown => JSON.parse(readFileSync(file, "utf8")).apps;

/** A rich file store exported to `a.json` in a fresh working directory. */
async function exportedRichStore(): Promise<{ work: string; fileUrl: string; env: Record<string, string> }> {
  const work = tempDir();
  const fileUrl = await richFileStore(join(work, "s"));
  const env = { HOME: work };
  expect(
    (await runCli(["state", "export", "--store", fileUrl, "-o", "a.json"], { cwd: work, env })).code,
  ).toBe(0);
  return { work, fileUrl, env };
}

describe("titan state export|import", () => {
  it("moves a file store to ZooKeeper and back without losing anything", async () => {
    const work = tempDir();
    const env = { HOME: work, XDG_CONFIG_HOME: join(work, "config"), XDG_DATA_HOME: join(work, "data") };
    const fileUrl = await richFileStore(join(work, "file-store"));
    const zkUrl = `zk://${zk.hosts}/titan-roundtrip`;
    const back = pathToFileURL(join(work, "back")).href;

    const steps: Array<[string[], string]> = [
      [["state", "export", "--store", fileUrl, "-o", "a.json"], "Exported 3 app(s), 5 release(s)"],
      [["state", "import", "a.json", "--store", zkUrl], `Imported 3 app(s), 5 release(s) into ${zkUrl}`],
      [["state", "export", "--store", zkUrl, "-o", "b.json"], `from ${zkUrl}`],
      [["state", "import", "b.json", "--store", back], "Imported 3 app(s)"],
      [["state", "export", "--store", back, "-o", "c.json"], "Exported 3 app(s)"],
    ];
    for (const [argv, says] of steps) {
      const result = await runCli(argv, { cwd: work, env });
      expect(result.stderr).toContain(says);
      expect(result.code).toBe(0);
    }
    const original = appsOf(join(work, "a.json"));
    expect(appsOf(join(work, "b.json"))).toEqual(original);
    expect(appsOf(join(work, "c.json"))).toEqual(original);
    expect(original).toHaveLength(3);
    expect(JSON.stringify(original)).toContain("replaced by 3");
    // The command a pending release resumes with travels with it.
    expect(JSON.stringify(original)).toContain('"command":"titan stop solo --context prod"');

    // A retried import (its exit status lost) finds its own records there: nothing to do, not a clash.
    const again = await runCli(["state", "import", "a.json", "--store", zkUrl], { cwd: work, env });
    expect(again.stderr).toBe(
      `Nothing changed: ${zkUrl} already holds exactly these records of api, solo, web.\n`,
    );
    expect(again.code).toBe(0);
    const replaced = await runCli(["state", "import", "a.json", "--store", zkUrl, "--replace"], {
      cwd: work,
      env,
    });
    expect(replaced.code).toBe(0);
  });

  it("exports named apps only, to stdout", async () => {
    const work = tempDir();
    const fileUrl = await richFileStore(join(work, "s"));
    const result = await runCli(["state", "export", "web", "--store", fileUrl], {
      cwd: work,
      env: { HOME: work },
    });
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document).toMatchObject({
      format: "titan-state",
      version: 1,
      source: expect.stringContaining("file://"),
    });
    expect(document.apps.map((a: { app: string }) => a.app)).toEqual(["web"]);
  });

  it("refuses to import apps a store holds other records of without --replace, a usage error like its other refusals", async () => {
    const { work, fileUrl, env } = await exportedRichStore();
    const store = new FileStateStore(fileUrl, { clock: { now: () => Date.now() }, hostname: "elsewhere" });
    await store.finishRelease("api", 3, "failed", "changed since the export");
    const again = await runCli(["state", "import", "a.json", "--store", fileUrl], { cwd: work, env });
    expect(again.code).toBe(2);
    // solo and web hold exactly what the file does: only api clashes.
    expect(again.stderr).toBe(
      `error: ${fileUrl} already holds other records of api\nhint: re-run with --replace to replace them with the imported ones\n`,
    );
    const replaced = await runCli(["state", "import", "a.json", "--store", fileUrl, "--replace"], {
      cwd: work,
      env,
    });
    expect(replaced.stderr).toBe(
      `Imported 1 app(s), 3 release(s) into ${fileUrl} (from ${fileUrl}); solo, web already held exactly these records.\n`,
    );
    expect(replaced.code).toBe(0);
    const back = await runCli(["state", "export", "--store", fileUrl, "-o", "b.json"], { cwd: work, env });
    expect(back.code).toBe(0);
    expect(appsOf(join(work, "b.json"))).toEqual(appsOf(join(work, "a.json")));
  });

  it("refuses an import with --replace while a deploy holds one of the apps, before writing any", async () => {
    const { work, fileUrl, env } = await exportedRichStore();
    const store = new FileStateStore(fileUrl, { clock: { now: () => Date.now() }, hostname: "elsewhere" });
    // web (the last app of the export) is locked by a deploy on another machine; api and solo come before it.
    await store.acquireLock("web", { user: "bo", host: "elsewhere", pid: 7, purpose: "deploy web" }, 60_000);
    await store.addRelease({ app: "web", manifestDigest: "sha256:web2", spec: spec("web", 2), user: "bo" });
    await store.finishRelease("api", 3, "failed", "changed since the export");
    const refused = await runCli(["state", "import", "a.json", "--store", fileUrl, "--replace"], {
      cwd: work,
      env,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("error: app web is locked by bo@elsewhere (pid 7, deploy web");
    // The hint names what works for an import, which takes no --force-unlock.
    expect(refused.stderr).toContain(
      "hint: wait for that deploy to finish, then import again (a lock whose deploy is gone holds nothing once its lease expires)",
    );
    // Nothing was written: api keeps the change made after the export.
    expect((await store.releases("api")).at(-1)?.outcome).toBe("failed");
  });

  it("refuses a file that is not an export, with the place that is wrong", async () => {
    const work = tempDir();
    writeFileSync(
      join(work, "x.json"),
      JSON.stringify({ format: "titan-state", version: 1, apps: [{ app: "API" }] }),
    );
    const result = await runCli(["state", "import", "x.json", "--store", `zk://${zk.hosts}/titan-bad`], {
      cwd: work,
      env: { HOME: work },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("x.json: apps[0].app: expected an app name");
  });

  it("refuses a ZooKeeper path nothing was deployed to, as a missing file:// store, and creates nothing", async () => {
    const work = tempDir();
    const url = `zk://${zk.hosts}/never`;
    const result = await runCli(["state", "export", "--store", url, "-o", "x.json"], {
      cwd: work,
      env: { HOME: work },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: the state store ${url} does not exist\nhint: check --store: a store is made by the first deploy (or import) that uses it\n`,
    );
    expect(existsSync(join(work, "x.json"))).toBe(false);
    const store = new ZkStateStore(parseZkUrl(url), { clock: { now: () => Date.now() }, hostname: "laptop" });
    try {
      expect(await store.exists()).toBe(false);
    } finally {
      await store.close();
    }
  });

  it("refuses a zk:// URL that carries a password instead of a reference", async () => {
    const work = tempDir();
    const result = await runCli(["state", "export", "--store", `zk://titan:hunter2@${zk.hosts}/t`], {
      cwd: work,
      env: { HOME: work },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("must be a secret reference");
    expect(result.stderr).not.toContain("hunter2");
  });
});
