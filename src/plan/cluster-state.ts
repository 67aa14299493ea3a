import { countPorts, portsToRanges, subtractRanges, unionRanges } from "../cluster/ranges.js";
import { addScalars, subtractScalars } from "../cluster/resources.js";
import type { ClusterSnapshot, TitanTask } from "../cluster/types.js";
import type { Agent, Placement, PlacementInput, RunningTask, TaskRequest } from "../placement/types.js";

/**
 * The cluster while a plan is simulated: agents' free resources and what runs on them. Stopping a task gives its
 * resources back; placing one takes them. Never mutates the snapshot it starts from.
 */
export class ClusterState {
  private readonly agents: Map<string, Agent>;
  /** Running tasks by insertion number: a stop removes one in constant time and the order stays stable. */
  private readonly running = new Map<number, RunningTask>();
  /** Titan's running tasks by app, instance and agent, to find the one a stop refers to. */
  private readonly byInstance = new Map<string, number[]>();
  private next = 0;

  constructor(snapshot: Pick<ClusterSnapshot, "agents" | "running">) {
    this.agents = new Map(
      snapshot.agents.map((a) => [a.id, { ...a, free: { ...a.free }, freePorts: [...a.freePorts] }]),
    );
    for (const task of snapshot.running) this.add(task);
  }

  /** Stops a titan task: its resources and ports become free again on its agent. */
  release(task: TitanTask): void {
    const id = this.byInstance.get(instanceKey(task.app, task.instance, task.agentId))?.shift();
    if (id !== undefined) this.running.delete(id);
    const agent = this.agents.get(task.agentId);
    if (!agent) return;
    this.agents.set(agent.id, {
      ...agent,
      free: addScalars(agent.free, task.demand),
      freePorts: unionRanges(agent.freePorts, portsToRanges(task.ports)),
    });
  }

  /** Starts the placed tasks: their demand and host ports are taken from their agents. */
  occupy(placements: readonly Placement[], requests: readonly TaskRequest[]): void {
    const requestOf = new Map(requests.map((r) => [instanceKey(r.app, r.instance, ""), r]));
    for (const p of placements) {
      const request = requestOf.get(instanceKey(p.app, p.instance, ""));
      const agent = this.agents.get(p.agentId);
      if (!request || !agent) continue;
      const ports = portsToRanges(Object.values(p.ports));
      this.agents.set(agent.id, {
        ...agent,
        free: subtractScalars(agent.free, request.demand),
        freePorts: subtractRanges(agent.freePorts, ports),
      });
      this.add({
        app: p.app,
        agentId: p.agentId,
        instance: p.instance,
        demand: request.demand,
        portCount: countPorts(ports),
      });
    }
  }

  input(requests: readonly TaskRequest[], seed: number): PlacementInput {
    return { agents: this.agentList(), running: this.runningTasks(), requests, seed };
  }

  agentList(): Agent[] {
    return [...this.agents.values()];
  }

  runningTasks(): RunningTask[] {
    return [...this.running.values()];
  }

  private add(task: RunningTask): void {
    const id = this.next++;
    this.running.set(id, task);
    if (task.instance === undefined) return;
    const key = instanceKey(task.app, task.instance, task.agentId);
    const ids = this.byInstance.get(key);
    if (ids) ids.push(id);
    else this.byInstance.set(key, [id]);
  }
}

function instanceKey(app: string, instance: number, agentId: string): string {
  return `${app}\u0000${instance}\u0000${agentId}`;
}
