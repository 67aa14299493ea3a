import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { appDigest } from "../../src/cluster/digest.js";
import { readTaskLabels, taskLabels } from "../../src/cluster/labels.js";
import { parseRangeText, parseRangeTextLoosely, subtractRanges } from "../../src/cluster/ranges.js";
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

  it("reads any text as the general reading of range text does, whether the master wrote it or not", () => {
    const digits = fc.stringMatching(/^[0-9]{0,18}$/);
    const asWritten = fc
      .array(fc.tuple(digits, digits), { maxLength: 5 })
      .map((items) => `[${items.map(([b, e]) => `${b}-${e}`).join(", ")}]`);
    const anyText = fc.string({
      unit: fc.constantFrom("[", "]", "-", ",", " ", "\t", "0", "1", "9", "x"),
      maxLength: 24,
    });
    fc.assert(
      fc.property(fc.oneof(asWritten, anyText), (text) => {
        expect(parseRangeText(text)).toEqual(parseRangeTextLoosely(text));
      }),
      { numRuns: 3000 },
    );
    expect(parseRangeText("[31000-31004,31006-32000]")).toEqual(
      parseRangeTextLoosely("[31000-31004,31006-32000]"),
    );
    // Read digit by digit, 18 digits round otherwise than Number does.
    expect(parseRangeText("[286320550261200082-786390173981277116]")).toEqual([
      { begin: 286320550261200100, end: 786390173981277000 },
    ]);
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
