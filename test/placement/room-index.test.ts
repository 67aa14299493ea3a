import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClusterState } from "../../src/placement/cluster.js";
import { RoomIndex } from "../../src/placement/room-index.js";
import { toUnits } from "../../src/placement/units.js";
import { agent } from "./builders.js";

describe("RoomIndex", () => {
  it("files amounts in buckets that never fall as the amount rises", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        (a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          expect(RoomIndex.bucket(low, 1)).toBeLessThanOrEqual(RoomIndex.bucket(high, 1));
        },
      ),
      { numRuns: 2000 },
    );
    expect(RoomIndex.bucket(0, 16)).toBe(0);
    expect(RoomIndex.bucket(16, 16)).toBe(RoomIndex.bucket(32, 16));
  });

  it("visits every agent with the room asked for, as agents fill up", () => {
    const sizes = fc.record({
      cpus: fc.integer({ min: 0, max: 64 }),
      mem: fc.integer({ min: 0, max: 262_144 }),
    });
    fc.assert(
      fc.property(
        fc.array(sizes, { minLength: 1, maxLength: 30 }),
        fc.array(fc.tuple(fc.nat(), sizes), { maxLength: 20 }),
        fc.array(sizes, { minLength: 1, maxLength: 5 }),
        (free, takes, demands) => {
          const agents = free.map((f, i) => agent(`a${i}`, { cpus: f.cpus, mem: f.mem }));
          const state = new ClusterState(agents, [], 1);
          const rooms = new RoomIndex(state);
          for (let i = 0; i < state.n; i++) rooms.put(i);
          for (const [which, take] of takes) {
            const i = which % state.n;
            const d = toUnits({ cpus: take.cpus / 8, mem: take.mem / 8, disk: 0, gpus: 0 });
            if ((state.cpus[i] as number) < d.cpus || (state.mem[i] as number) < d.mem) continue;
            state.allocate(i, "web", d, 0);
            rooms.put(i);
          }
          for (const demand of demands) {
            const d = toUnits({ cpus: demand.cpus / 4, mem: demand.mem / 4, disk: 0, gpus: 0 });
            const seen = new Set<number>();
            const count = rooms.forEachWithRoom(d.cpus, d.mem, (i) => seen.add(i));
            expect(count).toBe(seen.size);
            for (let i = 0; i < state.n; i++)
              if ((state.cpus[i] as number) >= d.cpus && (state.mem[i] as number) >= d.mem)
                expect(seen.has(i)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
