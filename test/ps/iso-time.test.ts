import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoTime } from "../../src/observe/iso-time.js";

/** What isoTime must equal: the Date's own text, or the same error. */
function viaDate(ms: number): string {
  try {
    return new Date(ms).toISOString();
  } catch (error) {
    return `throws ${(error as Error).name}`;
  }
}

function viaIsoTime(ms: number): string {
  try {
    return isoTime(ms);
  } catch (error) {
    return `throws ${(error as Error).name}`;
  }
}

const LAST = 253_402_300_799_999;

describe("isoTime", () => {
  it("writes what Date#toISOString writes, at the edges", () => {
    for (const ms of [
      0,
      -0,
      0.9,
      -0.9,
      -1,
      1,
      999,
      1000,
      86_399_999,
      86_400_000,
      951_782_400_000, // 2000-02-29
      1_700_000_000_123.75,
      LAST,
      LAST + 1,
      8.64e15,
      -8.64e15,
      8.64e15 + 1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ]) {
      expect(viaIsoTime(ms), String(ms)).toBe(viaDate(ms));
    }
  });

  it("writes what Date#toISOString writes, for any time", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: LAST }),
          fc.integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 }),
          fc.double({ min: -9e15, max: 9e15, noNaN: true }),
        ),
        (ms) => {
          expect(viaIsoTime(ms)).toBe(viaDate(ms));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it("keeps writing the right date once many days were seen", () => {
    for (let day = 0; day < 5000; day += 1) {
      const ms = 1_600_000_000_000 + day * 86_400_000 + day;
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
    expect(isoTime(1_600_000_000_000)).toBe(new Date(1_600_000_000_000).toISOString());
  });
});
