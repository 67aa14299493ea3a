import { describe, expect, it } from "vitest";
import {
  type DisruptionWindow,
  describeDays,
  describeOpening,
  describeWindow,
  isOpen,
  isTimeZone,
  nextOpening,
  parseHours,
} from "../../src/manifest/windows.js";

const at = (iso: string): number => Date.parse(iso);

const weekdays: DisruptionWindow = {
  days: ["mon", "tue", "wed", "thu", "fri"],
  startMinute: 9 * 60,
  endMinute: 17 * 60,
  timeZone: "Europe/Berlin",
};

describe("disruption windows", () => {
  it("reads HH:MM-HH:MM, 24:00 ending a day, and refuses anything else", () => {
    expect(parseHours("09:00-17:30")).toEqual({ startMinute: 540, endMinute: 1050 });
    expect(parseHours("00:00-24:00")).toEqual({ startMinute: 0, endMinute: 1440 });
    expect(parseHours("22:00-02:00")).toEqual({ startMinute: 1320, endMinute: 120 });
    for (const bad of ["9:00-17:00", "09:00-24:30", "24:00-02:00", "09:60-10:00", "09:00", "09:00 - 17:00"])
      expect(parseHours(bad), bad).toBeUndefined();
  });

  it("knows IANA time zones and nothing else", () => {
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
  });

  it("is open on the listed days between the hours, in the window's zone", () => {
    // 2026-12-07 is a Monday; Berlin is UTC+1 in December.
    expect(isOpen([weekdays], at("2026-12-07T08:00:00Z"))).toBe(true); // 09:00 Berlin
    expect(isOpen([weekdays], at("2026-12-07T07:59:00Z"))).toBe(false); // 08:59
    expect(isOpen([weekdays], at("2026-12-07T15:59:00Z"))).toBe(true); // 16:59
    expect(isOpen([weekdays], at("2026-12-07T16:00:00Z"))).toBe(false); // 17:00, the end is excluded
    expect(isOpen([weekdays], at("2026-12-05T10:00:00Z"))).toBe(false); // Saturday
    // Summer time: UTC+2.
    expect(isOpen([weekdays], at("2026-07-06T07:00:00Z"))).toBe(true);
    expect(isOpen([weekdays], at("2026-07-06T15:00:00Z"))).toBe(false);
  });

  it("runs a window that ends past midnight into the next day", () => {
    const night: DisruptionWindow = {
      days: ["fri"],
      startMinute: 22 * 60,
      endMinute: 2 * 60,
      timeZone: "UTC",
    };
    expect(isOpen([night], at("2026-12-04T23:00:00Z"))).toBe(true); // Friday 23:00
    expect(isOpen([night], at("2026-12-05T01:30:00Z"))).toBe(true); // Saturday 01:30
    expect(isOpen([night], at("2026-12-05T02:00:00Z"))).toBe(false);
    expect(isOpen([night], at("2026-12-04T01:30:00Z"))).toBe(false); // Friday 01:30: Thursday is not listed
  });

  it("finds the next opening, across a weekend and a change of clocks", () => {
    // Saturday noon UTC → Monday 09:00 Berlin = 08:00 UTC.
    expect(nextOpening([weekdays], at("2026-12-05T12:00:00Z"))).toBe(at("2026-12-07T08:00:00Z"));
    // Inside a window, the next one is tomorrow's.
    expect(nextOpening([weekdays], at("2026-12-07T10:00:00Z"))).toBe(at("2026-12-08T08:00:00Z"));
    // Friday evening before the switch to summer time (Sunday 2027-03-28): Monday 09:00 is 07:00 UTC.
    expect(nextOpening([weekdays], at("2027-03-26T18:00:00Z"))).toBe(at("2027-03-29T07:00:00Z"));
    // A window on one day only, earlier that day: a week ahead.
    const monday: DisruptionWindow = { ...weekdays, days: ["mon"], timeZone: "UTC" };
    expect(nextOpening([monday], at("2026-12-07T10:00:00Z"))).toBe(at("2026-12-14T09:00:00Z"));
    // Several windows: the soonest.
    const sunday: DisruptionWindow = { days: ["sun"], startMinute: 0, endMinute: 60, timeZone: "UTC" };
    expect(nextOpening([weekdays, sunday], at("2026-12-05T12:00:00Z"))).toBe(at("2026-12-06T00:00:00Z"));
  });

  it("opens a window whose start the clocks skip at the first minute after the change, and a repeated hour the first time", () => {
    // Berlin springs forward on Sunday 2027-03-28 from 02:00 to 03:00 CEST: 02:30 does not exist that day.
    const skipped: DisruptionWindow = {
      days: ["sun"],
      startMinute: 150,
      endMinute: 210,
      timeZone: "Europe/Berlin",
    };
    const opens = nextOpening([skipped], at("2027-03-27T12:00:00Z"));
    expect(opens).toBe(at("2027-03-28T01:00:00Z")); // 03:00 CEST
    expect(isOpen([skipped], opens ?? 0)).toBe(true);
    // New York falls back on Sunday 2026-11-01 from 02:00 EDT to 01:00 EST: 01:30 happens twice.
    const repeated: DisruptionWindow = {
      days: ["sun"],
      startMinute: 90,
      endMinute: 120,
      timeZone: "America/New_York",
    };
    expect(nextOpening([repeated], at("2026-10-31T12:00:00Z"))).toBe(at("2026-11-01T05:30:00Z")); // 01:30 EDT
  });

  it("describes windows and openings as a manifest writes them", () => {
    expect(describeWindow(weekdays)).toBe("mon-fri 09:00-17:00 Europe/Berlin");
    expect(describeDays(["sat", "sun"])).toBe("sat,sun");
    expect(describeDays(["mon", "wed", "thu", "fri", "sun"])).toBe("mon,wed-fri,sun");
    expect(describeDays(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])).toBe("every day");
    expect(describeOpening([weekdays], at("2026-12-07T08:00:00Z"))).toBe("Mon 09:00 Europe/Berlin");
  });
});
