import { describe, expect, it } from "vitest";
import { parseMesosDuration } from "../../src/mesos/duration.js";

describe("a Mesos duration flag's value", () => {
  it.each([
    ["10mins", 600_000],
    ["90secs", 90_000],
    ["1.5hrs", 5_400_000],
    ["150ms", 150],
    ["2weeks", 1_209_600_000],
    ["500us", 0.5],
  ])("%s is %d ms", (text, ms) => {
    expect(parseMesosDuration(text)).toBe(ms);
  });

  it.each(["", "10", "10 minutes", "ten mins", "-5secs"])("%j is not one", (text) => {
    expect(parseMesosDuration(text)).toBeUndefined();
  });
});
