import { describe, expect, it } from "vitest";
import { FirstListing } from "../../src/cluster/first-listing.js";

describe("FirstListing", () => {
  it("keeps the first listing of a task of a framework, and the same id of another framework", () => {
    const listed = new FirstListing();
    expect(listed.first("web.1", "fw-a")).toBe(true);
    expect(listed.first("web.1", "fw-a")).toBe(false);
    expect(listed.first("web.1", "fw-b")).toBe(true);
    expect(listed.first("web.1", "fw-b")).toBe(false);
    expect(listed.first("web.1", "fw-a")).toBe(false);
  });

  it("remembers a task of the first list only when a later list holds its id", () => {
    const listed = new FirstListing(new Set(["moved"]));
    expect(listed.first("moved", "fw", true)).toBe(true);
    expect(listed.first("stays", "fw", true)).toBe(true);
    // The later lists: the moved task was listed already; a completed task listed twice is kept once.
    expect(listed.first("moved", "fw")).toBe(false);
    expect(listed.first("done", "fw")).toBe(true);
    expect(listed.first("done", "fw")).toBe(false);
  });
});
