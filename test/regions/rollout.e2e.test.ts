import { describe, expect, it } from "vitest";
import { events, titan } from "../deploy/harness.js";
import { threeRegions, writeRegionalApp } from "./harness.js";

describe("a deploy over three regions", () => {
  it("runs the waves in order, the regions of a wave in parallel, soaking between waves", async () => {
    const { h } = await threeRegions();
    const file = writeRegionalApp(h.cwd, { version: "1", soak: "1s" });
    const run = await titan(["deploy", "-f", file, "--yes", "--json"], h);
    console.log(run.stdout, run.stderr);
    expect(run.code).toBe(0);
  }, 60_000);
});
