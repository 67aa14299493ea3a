import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/cli/errors.js";
import { appDigest } from "../../src/cluster/digest.js";
import { type AppSpec, parseManifests } from "../../src/manifest/index.js";
import { specForRegion } from "../../src/plan/regions.js";

const one = (text: string): AppSpec => {
  const [app] = parseManifests([{ file: "t.yaml", text }]).apps;
  if (!app) throw new Error("no app");
  return app;
};

function problems(text: string): string[] {
  try {
    parseManifests([{ file: "t.yaml", text }]);
  } catch (error) {
    if (error instanceof ValidationError)
      return error.diagnostics.map((d) => `${d.line}:${d.col} ${d.path}: ${d.message}`);
    throw error;
  }
  throw new Error("expected the manifest to be invalid");
}

const APP =
  "name: api\nimage: nginx:1.27\nenv: { LOG: info, MODE: a }\nresources: { cpus: 0.5, mem: 256Mi }\n";

describe("per-region overrides", () => {
  const app = one(
    `${APP}regions:\n  us-east: 2\n  eu-west:\n    instances: 1\n    env: { LOG: debug }\n    resources: { mem: 1Gi }\n    constraints: [{ unique: hostname }]\n`,
  );

  it("keeps the counts and records only the overrides given", () => {
    expect(app.regions).toEqual({ "us-east": 2, "eu-west": 1 });
    expect(app.instances).toBe(3);
    expect(app.regionOverrides).toEqual({
      "eu-west": {
        env: { LOG: { kind: "plain", value: "debug" } },
        resources: { mem: 1024 },
        constraints: [{ kind: "unique", attribute: "hostname" }],
      },
    });
    expect(app.rollout).toBeUndefined();
  });

  it("applies a region's override to its spec only, and changes no other region's digest", () => {
    const east = specForRegion(app, "us-east");
    const west = specForRegion(app, "eu-west");
    expect(east.env).toEqual(app.env);
    expect(west.env).toEqual({ LOG: { kind: "plain", value: "debug" }, MODE: { kind: "plain", value: "a" } });
    expect(west.resources).toEqual({ ...app.resources, mem: 1024 });
    expect(west.constraints).toEqual([{ kind: "unique", attribute: "hostname" }]);
    expect(east).not.toHaveProperty("regionOverrides");
    expect(appDigest(west)).not.toBe(appDigest(east));
    const plain = one(`${APP}regions: { us-east: 2, eu-west: 1 }\n`);
    expect(appDigest(specForRegion(plain, "us-east"))).toBe(appDigest(east));
  });
});

describe("rollout policy", () => {
  it("reads waves, soak and on_failure", () => {
    const app = one(
      `${APP}regions: { us-east: 1, eu-west: 1, ap-south: 1 }\nrollout:\n  waves: [[us-east], [eu-west, ap-south]]\n  soak: 90s\n  on_failure: rollback_all\n`,
    );
    expect(app.rollout).toEqual({
      waves: [["us-east"], ["eu-west", "ap-south"]],
      soakMs: 90_000,
      onFailure: "rollback_all",
    });
  });

  it("defaults to one region per wave in the order written, no soak, abort", () => {
    const app = one(`${APP}regions: { eu-west: 1, us-east: 1 }\nrollout: {}\n`);
    expect(app.rollout).toEqual({ waves: [["eu-west"], ["us-east"]], soakMs: 0, onFailure: "abort" });
  });

  it("reports every wrong wave with its position", () => {
    expect(
      problems(
        `${APP}regions: { us-east: 1, eu-west: 1, ap-south: 1 }\nrollout:\n  waves: [[us-east], [eu-wset, us-east]]\n`,
      ),
    ).toEqual([
      "7:10 rollout.waves: no wave deploys `eu-west`, `ap-south`",
      "7:23 rollout.waves[1][0]: region `eu-wset` is not one of the app's regions (us-east, eu-west, ap-south)",
      "7:32 rollout.waves[1][1]: region `us-east` is in two waves (waves[0][0] and waves[1][1])",
    ]);
  });

  it("names the failure policies", () => {
    expect(problems(`${APP}regions: { us-east: 1 }\nrollout: { on_failure: rollback }\n`)).toEqual([
      '6:24 rollout.on_failure: expected one of `abort`, `rollback_all`, `continue`, got "rollback"',
    ]);
  });

  it("needs regions, and a region override needs its count", () => {
    expect(problems(`${APP}rollout: { soak: 1m }\n`)).toEqual([
      "5:10 rollout: rollout needs `regions`: it orders a deploy through the app's regions",
    ]);
    expect(problems(`${APP}regions:\n  eu-west: { env: { A: b } }\n`)[0]).toMatch(
      /^6:12 regions.eu-west: missing required key `instances`/,
    );
  });
});
