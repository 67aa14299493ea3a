import { describe, expect, it } from "vitest";
import { carveResources, OfferTooSmallError, remainingOffer } from "../../src/mesos/task-builder.js";
import type { Offer, Resource } from "../../src/mesos/types/mesos.js";

const reserved = {
  reservations: [{ type: "STATIC" as const, role: "web" }],
  allocation_info: { role: "web" },
};
const unreserved = { allocation_info: { role: "web" } };

const offer: Offer = {
  id: { value: "o1" },
  framework_id: { value: "f1" },
  agent_id: { value: "a1" },
  hostname: "agent-1.local",
  resources: [
    { name: "cpus", type: "SCALAR", scalar: { value: 1 }, ...reserved },
    { name: "cpus", type: "SCALAR", scalar: { value: 2 }, ...unreserved },
    { name: "mem", type: "SCALAR", scalar: { value: 1024 }, ...unreserved },
    { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31001 }] }, ...reserved },
    {
      name: "ports",
      type: "RANGES",
      ranges: {
        range: [
          { begin: 31005, end: 31007 },
          { begin: 31010, end: 31010 },
        ],
      },
      ...unreserved,
    },
  ],
};

function amountOf(resources: readonly Resource[], name: string, isReserved: boolean): number {
  return resources
    .filter((r) => r.name === name && (r.reservations !== undefined) === isReserved)
    .reduce((sum, r) => sum + Number(r.scalar?.value ?? 0), 0);
}

/** Carves each demand from what the previous ones left, as one ACCEPT does. */
function carveInTurn(demands: ReadonlyArray<Parameters<typeof carveResources>[1]>): Resource[][] {
  let left = offer;
  return demands.map((demand) => {
    const taken = carveResources(left, demand);
    left = remainingOffer(left, taken);
    return taken;
  });
}

describe("carving several tasks from one offer", () => {
  it("takes the second task's cpus from what the first left, across reserved and unreserved entries", () => {
    const [first, second, third] = carveInTurn([
      { cpus: 0.75, mem: 256 },
      { cpus: 0.75, mem: 256 },
      { cpus: 1.5, mem: 512 },
    ]);
    expect(amountOf(first ?? [], "cpus", true)).toBe(0.75);
    expect(amountOf(second ?? [], "cpus", true)).toBe(0.25);
    expect(amountOf(second ?? [], "cpus", false)).toBe(0.5);
    expect(amountOf(third ?? [], "cpus", true)).toBe(0);
    expect(amountOf(third ?? [], "cpus", false)).toBe(1.5);
    // Together they ask no entry for more than it holds.
    const all = [...(first ?? []), ...(second ?? []), ...(third ?? [])];
    expect(amountOf(all, "cpus", true)).toBe(1);
    expect(amountOf(all, "cpus", false)).toBe(2);
    expect(amountOf(all, "mem", false)).toBe(1024);
  });

  it("refuses a task the remainder cannot hold, though the whole offer could", () => {
    expect(() =>
      carveInTurn([
        { cpus: 2.5, mem: 64 },
        { cpus: 1, mem: 64 },
      ]),
    ).toThrow(OfferTooSmallError);
    expect(() =>
      carveInTurn([
        { cpus: 0.1, mem: 1000 },
        { cpus: 0.1, mem: 64 },
      ]),
    ).toThrow(/lacks 40 mem/);
  });

  it("removes taken ports from their ranges, splitting a range, and keeps each entry's reservation", () => {
    let left = offer;
    for (const ports of [[31000], [31006], [31010]])
      left = remainingOffer(left, carveResources(left, { cpus: 0.1, mem: 1, ports }));
    const ports = (left.resources ?? []).filter((r) => r.name === "ports");
    expect(ports.map((r) => ({ reserved: r.reservations !== undefined, range: r.ranges?.range }))).toEqual([
      { reserved: true, range: [{ begin: 31001, end: 31001 }] },
      {
        reserved: false,
        range: [
          { begin: 31005, end: 31005 },
          { begin: 31007, end: 31007 },
        ],
      },
    ]);
    expect(() => carveResources(left, { cpus: 0.1, mem: 1, ports: [31006] })).toThrow(
      /does not include port 31006/,
    );
  });

  it("leaves the offer itself untouched", () => {
    const before = structuredClone(offer);
    carveInTurn([{ cpus: 1, mem: 512, ports: [31000, 31005] }]);
    expect(offer).toEqual(before);
  });
});
