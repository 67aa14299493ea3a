import { describe, expect, it } from "vitest";
import { ClusterState } from "../../src/placement/cluster.js";
import { toUnits } from "../../src/placement/units.js";
import { agent, runningTask } from "./builders.js";

const snapshot = (s: ClusterState) => ({
  cpus: [...s.cpus],
  mem: [...s.mem],
  ports: [...s.ports],
  tasks: [...s.tasks],
  disabled: [...s.disabled],
  perHost: [...s.counts("web", "hostname")],
});

describe("ClusterState journal", () => {
  it("undoes evictions, given-back resources, enabling and bookings back to a mark, and keeps recording", () => {
    const agents = [agent("a", { cpus: 6, mem: 30720 }), agent("b", { cpus: 8 })];
    const state = new ClusterState(agents, [runningTask("web", "a", 0, { cpus: 2, mem: 2048 })], 1);
    state.begin();
    state.disable(1);
    const before = snapshot(state);
    const mark = state.mark();
    state.evict(0, "web", toUnits({ cpus: 2, mem: 2048, disk: 0, gpus: 0 }));
    expect(state.cpus[0]).toBe(8000);
    expect(state.counts("web", "hostname")[0]).toBe(0);
    state.giveBack(0, toUnits({ cpus: 1, mem: 0, disk: 0, gpus: 0 }));
    state.enable(1);
    state.allocate(1, "web", toUnits({ cpus: 3, mem: 1024, disk: 0, gpus: 0 }), 2);
    expect(state.disabled[1]).toBe(0);
    state.rollbackTo(mark);
    expect(snapshot(state)).toEqual(before);
    // Still recording: a later rollback also undoes what came before the mark.
    state.rollback();
    expect(state.disabled[1]).toBe(0);
  });
});
