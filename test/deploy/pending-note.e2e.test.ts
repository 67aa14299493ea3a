import { hostname } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { appDigest } from "../../src/cluster/digest.js";
import { loadManifests } from "../../src/manifest/index.js";
import { FileStateStore } from "../../src/state/file-store.js";
import { startTestCluster } from "../support/local-cluster.js";
import { dataHome, events, FAST, home, titan, writeWebApp } from "./harness.js";

describe("a pending release another deploy left", () => {
  it("is neither called interrupted nor superseded by a deploy the lock refuses; the one that runs says what it did", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 1 });
    const spec = (await loadManifests([file], { cwd: h.cwd })).apps[0];
    if (spec === undefined) throw new Error("no app in the manifest");
    const store = new FileStateStore(pathToFileURL(join(dataHome(h), "titan", "state", "local")).href, {
      clock: { now: () => Date.now() },
      hostname: hostname(),
    });
    // A `titan scale web 6` of the same spec, still running: its release is pending and its lock live.
    const scaled = { ...spec, instances: 6 };
    await store.addRelease({ app: "web", manifestDigest: appDigest(scaled), spec: scaled, user: "ana" });
    const lock = await store.acquireLock(
      "web",
      { user: "ana", host: hostname(), pid: process.pid, purpose: "scale web" },
      30_000,
    );

    const refused = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/app web is locked by ana@/);
    expect(refused.stderr).not.toMatch(/interrupted|supersede|resuming/);
    expect(events(refused.stdout).map((e) => e.type)).not.toContain("supersede");
    const text = await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h);
    expect(text.code).toBe(1);
    expect(text.stderr).not.toMatch(/interrupted|supersede|resuming/);
    expect((await store.releases("web")).map((r) => [r.number, r.outcome])).toEqual([[1, "pending"]]);

    // That deploy is gone: the next one takes the lock, and only then says what it does with release 1.
    await store.releaseLock("web", lock);
    const ran = await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h);
    expect(ran.code).toBe(0);
    expect(ran.stderr).toContain(
      "release 1 of web did not finish and asks for 6 instance(s); release 2 supersedes it",
    );
    expect(ran.stderr).not.toContain("carries another spec");
    expect((await store.releases("web")).map((r) => [r.number, r.outcome])).toEqual([
      [1, "superseded"],
      [2, "deployed"],
    ]);
    await store.close();
  }, 30_000);
});
