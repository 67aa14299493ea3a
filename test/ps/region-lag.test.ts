import { describe, expect, it } from "vitest";
import { describeLag, regionLags } from "../../src/observe/region-lag.js";
import type { Release } from "../../src/state/types.js";

function release(number: number, createdAt: number, extra: Partial<Release> = {}): Release {
  return {
    app: "api",
    number,
    manifestDigest: "sha256:x",
    spec: {} as Release["spec"],
    createdAt,
    user: "me",
    outcome: "deployed",
    ...extra,
  };
}

describe("regionLags", () => {
  it("names a region skipped by the newest deployed release of another region", () => {
    const lags = regionLags(
      "api",
      new Map([
        ["us-east", [release(1, 100), release(2, 200, { lagging: ["ap-south"] })]],
        ["eu-west", [release(1, 100), release(2, 201, { lagging: ["ap-south"] })]],
        ["ap-south", [release(1, 100)]],
      ]),
    );
    expect(lags).toEqual([{ app: "api", region: "ap-south", ahead: "us-east", release: 2, since: 200 }]);
    expect(lags.map(describeLag)).toEqual([
      "api in ap-south lags release 2 of us-east (skipped when it was deployed)",
    ]);
  });

  it("forgets the lag once the region deployed a later release, or when the skip was superseded", () => {
    expect(
      regionLags(
        "api",
        new Map([
          ["us-east", [release(2, 200, { lagging: ["ap-south"] })]],
          ["ap-south", [release(1, 100), release(2, 300)]],
        ]),
      ),
    ).toEqual([]);
    // A failed release that skipped a region does not make it lag; an unreadable region is not judged.
    expect(
      regionLags(
        "api",
        new Map<string, Release[] | undefined>([
          ["us-east", [release(2, 200), release(3, 300, { lagging: ["ap-south"], outcome: "rolled_back" })]],
          ["ap-south", undefined],
        ]),
      ),
    ).toEqual([]);
  });
});
