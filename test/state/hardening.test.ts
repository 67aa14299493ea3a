/** The state store against damaged, hostile and unreachable state: every problem named, nothing half-written. */
import { chmodSync, chownSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { TitanError } from "../../src/cli/errors.js";
import { loadConfig } from "../../src/config/load.js";
import { parseManifests } from "../../src/manifest/index.js";
import type { AppSpec } from "../../src/manifest/types.js";
import { describeBrokenLock, LockHeldError, StateStoreError } from "../../src/state/errors.js";
import { FileStateStore } from "../../src/state/file-store.js";
import type { BrokenLock, LockOwner } from "../../src/state/types.js";
import { runCli } from "../support/cli.js";
import { startTestCluster } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";

const me = process.getuid?.();
const asRoot = me === 0;
const owner: LockOwner = { user: "ana", host: "laptop", pid: 4242, purpose: "deploy api" };

function open(dir: string, options: { now?: () => number; uid?: number } = {}) {
  return new FileStateStore(pathToFileURL(dir).href, {
    clock: { now: options.now ?? (() => 1_000_000) },
    hostname: "laptop",
    isAlive: () => true,
    ...(options.uid === undefined ? {} : { uid: options.uid }),
  });
}

function spec(name = "api"): AppSpec {
  const app = parseManifests([{ file: "t.yaml", text: `name: ${name}\nimage: r/${name}:1\n` }]).apps[0];
  if (!app) throw new Error("no app");
  return app;
}

async function failure(promise: Promise<unknown>): Promise<TitanError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TitanError);
  return error as TitanError;
}

describe.skipIf(me === undefined)("a state root or config others could write is refused", () => {
  it("refuses a world-writable state root, saying how to fix it", async () => {
    const dir = tempDir();
    chmodSync(dir, 0o777);
    const error = await failure(open(dir).releases("api"));
    expect(error.message).toBe(
      `the state store ${dir} can be written by every user (mode 0777); titan will not trust it`,
    );
    expect(error.hint).toBe(`make it yours alone: chmod 700 ${dir}`);
    expect(error.exitCode).toBe(2);
  });

  it("refuses a group-writable state root", async () => {
    const dir = tempDir();
    chmodSync(dir, 0o770);
    expect((await failure(open(dir).frameworkId("api"))).message).toContain("can be written by its group");
  });

  it.skipIf(!asRoot)("refuses a state root another user owns, but trusts root's", async () => {
    const other = tempDir();
    chownSync(other, 12345, 12345);
    const error = await failure(open(other, { uid: 1000 }).releases("api"));
    expect(error.message).toBe(
      `the state store ${other} belongs to another user (uid 12345, you are 1000); titan will not trust it`,
    );
    expect(error.hint).toContain("chown");
    const rootOwned = tempDir();
    await expect(open(rootOwned, { uid: 1000 }).releases("api")).resolves.toEqual([]);
  });

  it("refuses a config file others can write", async () => {
    const dir = tempDir();
    const file = join(dir, "config.yaml");
    writeFileSync(file, "current_context: local\n", { mode: 0o666 });
    chmodSync(file, 0o666);
    const error = await failure(loadConfig(file));
    expect(error.message).toContain("config file");
    expect(error.hint).toBe(`make it yours alone: chmod 600 ${file}`);
    chmodSync(file, 0o600);
    await expect(loadConfig(file)).resolves.toMatchObject({ exists: true });
  });
});

describe("every record is validated on read", () => {
  it("names the file and what is wrong for a release file `{}`", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.addRelease({ app: "api", manifestDigest: "d", spec: spec(), user: "ana" });
    const file = join(dir, "apps", "api", "releases", "000002.json");
    writeFileSync(file, "{}");
    const error = await failure(store.releases("api"));
    expect(error).toBeInstanceOf(StateStoreError);
    expect(error.message).toBe(`state record ${file} is damaged: app: is missing`);
    expect(error.hint).toContain(`mv ${file} ${file}.bad`);
  });

  it("refuses a release whose number or app does not match its file", async () => {
    const dir = tempDir();
    const store = open(dir);
    const release = await store.addRelease({ app: "api", manifestDigest: "d", spec: spec(), user: "ana" });
    writeFileSync(join(dir, "apps", "api", "releases", "000007.json"), JSON.stringify(release));
    expect((await failure(store.releases("api"))).message).toContain(
      "number: is 1, but the file is release 7",
    );
  });

  it("refuses a spec that carries control characters or the wrong shape", async () => {
    const dir = tempDir();
    const store = open(dir);
    const release = await store.addRelease({ app: "api", manifestDigest: "d", spec: spec(), user: "ana" });
    const planted = { ...release, spec: { ...release.spec, labels: { x: "\u001b]0;pwned\u0007" } } };
    writeFileSync(join(dir, "apps", "api", "releases", "000001.json"), JSON.stringify(planted));
    expect((await failure(store.releases("api"))).message).toContain(
      "spec.labels.x: holds a control character",
    );
    writeFileSync(
      join(dir, "apps", "api", "releases", "000001.json"),
      JSON.stringify({ ...release, spec: {} }),
    );
    expect((await failure(store.releases("api"))).message).toContain("spec.name: is missing");
  });

  it("validates progress, framework and lock records", async () => {
    const dir = tempDir();
    const store = open(dir);
    mkdirSync(join(dir, "apps", "api"), { recursive: true });
    writeFileSync(join(dir, "apps", "api", "progress.json"), JSON.stringify({ release: 1, phase: "x" }));
    expect((await failure(store.progress("api"))).message).toContain("phase: expected one of deploying");
    writeFileSync(join(dir, "apps", "api", "framework.json"), "[]");
    expect((await failure(store.frameworkId("api"))).message).toContain("expected an object");
    writeFileSync(join(dir, "apps", "api", "lock.json"), JSON.stringify({ user: "bo" }));
    expect((await failure(store.currentLock("api"))).message).toContain("host: is missing");
  });

  it("reports ENOTDIR as what it is, with the path", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "apps"), { recursive: true });
    writeFileSync(join(dir, "apps", "api"), "not a directory");
    const error = await failure(open(dir).releases("api"));
    expect(error.message).toBe(
      `cannot read the releases of api: ENOTDIR at ${join(dir, "apps", "api", "releases")}`,
    );
    expect(error.hint).toContain("a file stands where the state store expects a directory");
    const write = await failure(open(dir).setFrameworkId("api", "fw"));
    expect(write.message).toMatch(/^cannot save the framework id of api: (ENOTDIR|EEXIST)/);
  });

  it.skipIf(asRoot)("reports EACCES as what it is", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "apps", "api", "releases"), { recursive: true });
    chmodSync(join(dir, "apps", "api"), 0o000);
    try {
      const error = await failure(open(dir).releases("api"));
      expect(error.message).toMatch(/^cannot read the releases of api: EACCES at /);
    } finally {
      chmodSync(join(dir, "apps", "api"), 0o700);
    }
  });

  it("writes nothing for a release whose spec could not be read back", async () => {
    const dir = tempDir();
    const store = open(dir);
    const bad = { ...spec(), instances: -1 };
    await failure(store.addRelease({ app: "api", manifestDigest: "d", spec: bad, user: "ana" }));
    expect(await store.releases("api")).toEqual([]);
  });

  it("`titan releases` and `titan stop` report a damaged release instead of crashing", async () => {
    const home = tempDir();
    const env = {
      HOME: home,
      XDG_DATA_HOME: join(home, "data"),
      XDG_CONFIG_HOME: join(home, "config"),
      XDG_STATE_HOME: join(home, "state"),
    };
    const releases = join(home, "data", "titan", "state", "local", "apps", "api", "releases");
    mkdirSync(releases, { recursive: true, mode: 0o700 });
    writeFileSync(join(releases, "000001.json"), "{}");
    // stop reaches a cluster before it reads the release: one of the test's own, as the local one is not running.
    const local = await startTestCluster();
    for (const argv of [
      ["releases", "api"],
      ["stop", "api", "--yes", "--master", local.url],
    ]) {
      const result = await runCli(argv, { env });
      expect(result.stderr).toContain(
        `state record ${join(releases, "000001.json")} is damaged: app: is missing`,
      );
      expect(result.stderr).not.toMatch(/internal error|TypeError/);
      expect(result.code).toBe(1);
    }
  });
});

describe("deploy locks", () => {
  it("clears a lock file that is not JSON only with --force-unlock", async () => {
    const dir = tempDir();
    const store = open(dir);
    mkdirSync(join(dir, "apps", "api"), { recursive: true });
    writeFileSync(join(dir, "apps", "api", "lock.json"), "garbage");
    const refused = await failure(store.acquireLock("api", owner, 60_000));
    expect(refused.message).toContain("the deploy lock of api");
    expect(refused.message).toContain("is damaged: it is not valid JSON");
    expect(refused.hint).toContain("--force-unlock");
    const broken: BrokenLock[] = [];
    const lock = await store.acquireLock("api", owner, 60_000, {
      force: true,
      onBreak: (b) => broken.push(b),
    });
    expect(broken).toEqual([{ reason: "damaged", detail: "it is not valid JSON" }]);
    expect((await store.currentLock("api"))?.token).toBe(lock.token);
  });

  it("breaks an expired lock and names its previous owner", async () => {
    let now = 1_000_000;
    const dir = tempDir();
    const store = open(dir, { now: () => now });
    await store.acquireLock("api", { ...owner, user: "bo", host: "ci-7", pid: 9 }, 30_000);
    now += 45_000;
    const broken: BrokenLock[] = [];
    await store.acquireLock("api", owner, 30_000, { onBreak: (b) => broken.push(b) });
    expect(broken).toHaveLength(1);
    expect(broken[0]?.reason).toBe("expired");
    expect(describeBrokenLock("api", broken[0] as BrokenLock, now)).toBe(
      "took over the deploy lock of api from bo@ci-7 (pid 9, deploy api, for 45s): its lease expired 15s ago",
    );
    expect(readdirSync(join(dir, "apps", "api"))).toEqual(["lock.json"]);
  });

  it("still refuses a live holder without --force-unlock", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.acquireLock("api", { ...owner, host: "ci-1" }, 60_000);
    await expect(store.acquireLock("api", owner, 60_000)).rejects.toBeInstanceOf(LockHeldError);
  });
});

describe("text titan wrote from the cluster's messages", () => {
  it("keeps a release readable whose detail holds an agent's control characters", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.addRelease({ app: "api", manifestDigest: "d", spec: spec(), user: "ana" });
    await store.finishRelease("api", 1, "failed", "agent said \u001b[2Jboom\nsecond line");
    const [release] = await store.releases("api");
    expect(release?.detail).toBe("agent said \u001b[2Jboom\nsecond line");
  });
});
