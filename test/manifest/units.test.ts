import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { regexProblem } from "../../src/manifest/regex.js";
import {
  formatAmount,
  formatDuration,
  formatSize,
  parseAmount,
  parseDuration,
  parseSize,
} from "../../src/manifest/units.js";

const value = <T>(r: { ok: true; value: T } | { ok: false; message: string }): T => {
  if (!r.ok) throw new Error(r.message);
  return r.value;
};

describe("sizes", () => {
  it.each([
    ["512Mi", 512],
    ["1Gi", 1024],
    ["1.5Gi", 1536],
    ["2Ti", 2 * 1024 * 1024],
    ["512", 512],
    [512, 512],
    [0, 0],
  ] as const)("%s is %d MB", (text, mb) => {
    expect(value(parseSize(text))).toBe(mb);
  });

  it.each(["512M", "1G", "1GB", "512mb", "1 Gi", "-1Gi", "Gi", "0x10", "1e3"])("refuses %s", (text) => {
    expect(parseSize(text).ok).toBe(false);
  });

  it("round-trips every whole MB through its canonical spelling", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (mb) => {
        expect(value(parseSize(formatSize(mb)))).toBe(mb);
      }),
    );
  });

  it("reads n Gi as n × 1024 MB", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (n) => {
        expect(value(parseSize(`${n}Gi`))).toBe(n * 1024);
      }),
    );
  });
});

describe("durations", () => {
  it.each([
    ["500ms", 500],
    ["10s", 10_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1_500],
    ["0s", 0],
  ] as const)("%s is %d ms", (text, ms) => {
    expect(value(parseDuration(text))).toBe(ms);
  });

  it.each(["10", "", "s", "10 s", "1.0001s", "5min", "-1s", "1d"])("refuses %j", (text) => {
    expect(parseDuration(text).ok).toBe(false);
  });

  it("round-trips every whole millisecond through its canonical spelling", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 24 * 3_600_000 }), (ms) => {
        expect(value(parseDuration(formatDuration(ms)))).toBe(ms);
      }),
    );
  });
});

describe("amounts", () => {
  it("reads counts and percentages and round-trips them", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 10_000 }),
          fc.integer({ min: 0, max: 100 }).map((n) => `${n}%`),
        ),
        (written) => {
          expect(formatAmount(value(parseAmount(written)))).toBe(written);
        },
      ),
    );
  });

  it.each([-1, 1.5, "101%", "25 %", "x"])("refuses %j", (written) => {
    expect(parseAmount(written).ok).toBe(false);
  });
});

describe("constraint patterns", () => {
  it.each(["m5\\..*", "us-east-1[abc]", "(a|b)+", "[a-z]+-\\d{1,3}", "(ab)*c", "x(?:y)?z", "a{2,3}"])(
    "accepts %s",
    (pattern) => {
      expect(regexProblem(pattern)).toBeUndefined();
    },
  );

  it.each([
    ["(a+)+", /nested quantifiers/],
    ["(.*)*x", /nested quantifiers/],
    ["((ab)*)+", /nested quantifiers/],
    ["(x[a-z]+){2,}", /nested quantifiers/],
    ["(a)\\1", /backreferences/],
    ["(", /not a valid regular expression/],
    ["a".repeat(201), /at most 200/],
  ] as const)("refuses %s", (pattern, why) => {
    expect(regexProblem(pattern)).toMatch(why);
  });
});
