import { describe, expect, it } from "vitest";
import { appDigest, shortDigest } from "../../src/cluster/digest.js";
import { runReleases } from "../../src/commands/releases/run.js";
import { appSpec } from "../plan/builders.js";
import { testEnv } from "../support/env.js";

const opts = { master: "http://127.0.0.1:1", json: false };

describe("titan releases", () => {
  it("heads the spec digest's column SPEC (it is no image digest), as status and rollback call it", async () => {
    const t = testEnv();
    const store = await (await t.env.target(opts)).store();
    const spec = appSpec({ name: "hello" });
    await store.addRelease({ app: "hello", manifestDigest: appDigest(spec), spec, user: "ana" });
    await store.close();

    expect(await runReleases(t.env, "hello", opts)).toBe(0);
    const [header, row] = t.out().split("\n");
    expect(header).toMatch(/^RELEASE\s+OUTCOME\s+INSTANCES\s+IMAGE\s+SPEC\s+USER\s+CREATED\s+DETAIL$/);
    expect(row).toContain(shortDigest(appDigest(spec)));

    // The JSON document keeps its documented key, the manifest digest (docs/plan.md).
    const json = testEnv({ cwd: t.env.cwd, vars: t.env.vars });
    expect(await runReleases(json.env, "hello", { ...opts, json: true })).toBe(0);
    expect(JSON.parse(json.out()).releases[0]).toMatchObject({ manifest_digest: appDigest(spec) });
  });
});
