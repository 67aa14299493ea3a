import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { releaseFor } from "../../src/deploy/releases.js";
import { FileStateStore } from "../../src/state/file-store.js";
import { appSpec } from "../plan/builders.js";
import { tempDir } from "../support/tmp.js";

function store(): FileStateStore {
  return new FileStateStore(pathToFileURL(tempDir()).href, {
    clock: { now: () => 1000 },
    hostname: "laptop",
  });
}

describe("what a deploy keeps in the state store", () => {
  it("keeps the write-ahead record of launches and forgets a removed framework's id", async () => {
    const s = store();
    expect(await s.progress("api")).toBeUndefined();
    await s.saveProgress("api", { release: 3, phase: "deploying", launched: ["api.3.0.1"], updatedAt: 1 });
    expect(await s.progress("api")).toEqual({
      release: 3,
      phase: "deploying",
      launched: ["api.3.0.1"],
      updatedAt: 1,
    });
    await s.setFrameworkId("api", "fw-1");
    await s.forgetFrameworkId("api");
    expect(await s.frameworkId("api")).toBeUndefined();
    expect(await s.progress("api")).toBeDefined();
  });

  it("resumes a pending release with the same spec and supersedes one with another spec", async () => {
    const s = store();
    const spec = appSpec();
    const first = await releaseFor(s, spec, "sha256:a", "ana");
    expect(first).toMatchObject({ reused: false, release: { number: 1, outcome: "pending" } });
    const again = await releaseFor(s, { ...spec, source: { ...spec.source, line: 9 } }, "sha256:a", "ana");
    expect(again).toMatchObject({ reused: true, release: { number: 1 } });
    const other = await releaseFor(s, { ...spec, instances: 5 }, "sha256:a", "ana");
    expect(other).toMatchObject({ reused: false, release: { number: 2 } });
    expect((await s.releases("api")).map((r) => r.outcome)).toEqual(["superseded", "pending"]);
    await s.finishRelease("api", 2, "deployed");
    expect(await releaseFor(s, { ...spec, instances: 5 }, "sha256:a", "ana")).toMatchObject({
      reused: false,
      release: { number: 3 },
    });
  });
});
