import { describe, expect, it } from "vitest";
import { appDigest } from "../../src/cluster/digest.js";
import { readTaskLabels, taskLabels } from "../../src/cluster/labels.js";
import { parseRangeText, subtractRanges } from "../../src/cluster/ranges.js";
import { appSpec } from "../plan/builders.js";

describe("port ranges", () => {
  it("parses the legacy range text and rejects anything else", () => {
    expect(parseRangeText("[31000-31004, 31006-32000]")).toEqual([
      { begin: 31000, end: 31004 },
      { begin: 31006, end: 32000 },
    ]);
    expect(parseRangeText("[]")).toEqual([]);
    expect(parseRangeText("31000-32000")).toBeUndefined();
    expect(parseRangeText("[a-b]")).toBeUndefined();
  });

  it("subtracts single ports and whole ranges", () => {
    expect(
      subtractRanges(
        [{ begin: 1, end: 10 }],
        [
          { begin: 3, end: 3 },
          { begin: 8, end: 12 },
        ],
      ),
    ).toEqual([
      { begin: 1, end: 2 },
      { begin: 4, end: 7 },
    ]);
  });
});

describe("titan's task labels", () => {
  it("round-trips an identity", () => {
    const identity = { app: "api", instance: 3, digest: "sha256:abc", release: 7, region: "us-east" };
    expect(readTaskLabels(taskLabels(identity))).toEqual({ kind: "titan", identity });
    expect(taskLabels(identity).map((l) => l.key)).toEqual([
      "titan.app",
      "titan.instance",
      "titan.digest",
      "titan.release",
      "titan.region",
    ]);
  });

  it("tells foreign tasks from titan tasks with unusable labels", () => {
    expect(readTaskLabels([{ key: "team", value: "x" }])).toEqual({ kind: "foreign" });
    expect(
      readTaskLabels([
        { key: "titan.app", value: "api" },
        { key: "titan.instance", value: "1" },
      ]),
    ).toMatchObject({
      kind: "malformed",
      problem: "titan.digest is missing",
    });
  });
});

describe("manifest digest", () => {
  it("is stable whatever the key order and where the app was declared", () => {
    const a = appSpec();
    const reordered = Object.fromEntries(Object.entries(a).reverse()) as typeof a;
    const moved = appSpec({ source: { file: "other.yaml", line: 40, col: 3, path: "apps[2]" } });
    expect(appDigest(reordered)).toBe(appDigest(a));
    expect(appDigest(moved)).toBe(appDigest(a));
    expect(appDigest(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("ignores scaling and rollout policy but not what the task runs", () => {
    const a = appSpec();
    expect(appDigest(appSpec({ instances: 9, regions: { "us-east": 9 } }))).toBe(appDigest(a));
    expect(appDigest(appSpec({ update: { ...a.update, maxSurge: { kind: "percent", value: 50 } } }))).toBe(
      appDigest(a),
    );
    expect(appDigest(appSpec({ image: "registry.example.com/payments/api:1.4.3" }))).not.toBe(appDigest(a));
    expect(appDigest(appSpec({ resources: { ...a.resources, mem: 1024 } }))).not.toBe(appDigest(a));
    expect(appDigest(appSpec({ env: { LOG_LEVEL: { kind: "plain", value: "debug" } } }))).not.toBe(
      appDigest(a),
    );
  });
});
