import { countPorts, portsToRanges, subtractRanges, unionRanges } from "../cluster/ranges.js";
import { addScalars, addScalarsInto, subtractScalars } from "../cluster/resources.js";
import type { ClusterSnapshot, TitanTask } from "../cluster/types.js";
import type {
  Agent,
  Placement,
  PlacementInput,
  RunningTask,
  Scalars,
  TaskRequest,
} from "../placement/types.js";

/**
 * The cluster while a plan is simulated: agents' free resources and what runs on them. Stopping a task gives its
 * resources back; placing one takes them. Never mutates the snapshot it starts from.
 */
export class SimulatedCluster {
  private readonly agents: Map<string, Agent>;
  /** Running tasks by insertion number: a stop removes one in constant time and the order stays stable. */
  private readonly running = new Map<number, RunningTask>();
  /**
   * Titan's running tasks by app, instance and agent, to find the one a stop refers to. Built on the first stop
   * after tasks were added (a plan's end state adds 50,000 placed tasks and stops none of them).
   */
  private readonly byInstance = new Map<string, number[]>();
  /** Titan tasks added since byInstance was last brought up to date, in the order they were added. */
  private unindexed: number[] = [];
  /**
   * Placed tasks not yet added as running tasks: only scale-in advice and stops look at them, and a plan on
   * thousands of agents usually does neither, so they are added on first need.
   */
  private placed: Array<{ placement: Placement; request: TaskRequest }> = [];
  /** Per agent, what `occupy` took and the agent does not show yet: summed demand and host ports. */
  private readonly taken = new Map<string, { demand: Scalars; ports: number[] }>();
  private next = 0;

  constructor(snapshot: Pick<ClusterSnapshot, "agents" | "running">) {
    this.agents = new Map(
      snapshot.agents.map((a) => [a.id, { ...a, free: { ...a.free }, freePorts: [...a.freePorts] }]),
    );
    for (const task of snapshot.running) this.add(task);
  }

  /**
   * Stops titan tasks, in order: their resources and ports become free again on their agents, with one update per
   * agent (a plan's end state stops every task a release replaces, 50,000 on a large one).
   */
  releaseAll(tasks: readonly TitanTask[]): void {
    if (tasks.length === 0) return;
    this.takeOccupied();
    this.settle();
    this.index();
    const freed = new Map<string, { free: Scalars; ports: number[] }>();
    for (const task of tasks) {
      const id = this.byInstance.get(instanceKey(task.app, task.instance, task.agentId))?.shift();
      if (id !== undefined) this.running.delete(id);
      const agent = this.agents.get(task.agentId);
      if (!agent) continue;
      const onAgent = freed.get(agent.id);
      // Added one task at a time, as each sum is rounded.
      if (onAgent) {
        addScalarsInto(onAgent.free, task.demand);
        onAgent.ports.push(...task.ports);
      } else freed.set(agent.id, { free: addScalars(agent.free, task.demand), ports: [...task.ports] });
    }
    for (const [agentId, { free, ports }] of freed) {
      const agent = this.agents.get(agentId) as Agent;
      this.agents.set(agentId, {
        ...agent,
        free,
        freePorts: unionRanges(agent.freePorts, portsToRanges(ports)),
      });
    }
  }

  /**
   * Starts the placed tasks: their demand and host ports are taken from their agents (one update per agent). The
   * agents are brought up to date when next read: a plan on thousands of agents often only asks for `usage`.
   */
  occupy(placements: readonly Placement[], requests: readonly TaskRequest[]): void {
    // One batch per call, as each call's sums are rounded and taken on their own.
    this.takeOccupied();
    const requestOf = new Map<string, TaskRequest[]>();
    for (const r of requests) {
      const ofApp = requestOf.get(r.app);
      if (ofApp) ofApp[r.instance] = r;
      else {
        const list: TaskRequest[] = [];
        list[r.instance] = r;
        requestOf.set(r.app, list);
      }
    }
    const taken = this.taken;
    for (const p of placements) {
      const request = requestOf.get(p.app)?.[p.instance];
      if (!request || !this.agents.has(p.agentId)) continue;
      const onAgent = taken.get(p.agentId);
      if (onAgent) {
        addScalarsInto(onAgent.demand, request.demand);
        for (const name in p.ports) onAgent.ports.push(p.ports[name] as number);
      } else taken.set(p.agentId, { demand: { ...request.demand }, ports: Object.values(p.ports) });
      this.placed.push({ placement: p, request });
    }
  }

  /** Each agent's total and free resources, as `agentList` would give them, without bringing the agents up to date. */
  usage(): Array<Pick<Agent, "total" | "free">> {
    const out: Array<Pick<Agent, "total" | "free">> = [];
    for (const agent of this.agents.values()) {
      const onAgent = this.taken.get(agent.id);
      out.push(onAgent ? { total: agent.total, free: subtractScalars(agent.free, onAgent.demand) } : agent);
    }
    return out;
  }

  input(requests: readonly TaskRequest[], seed: number): PlacementInput {
    return { agents: this.agentList(), running: this.runningTasks(), requests, seed };
  }

  agentList(): Agent[] {
    this.takeOccupied();
    return [...this.agents.values()];
  }

  private takeOccupied(): void {
    for (const [agentId, { demand, ports }] of this.taken) {
      const agent = this.agents.get(agentId) as Agent;
      this.agents.set(agentId, {
        ...agent,
        free: subtractScalars(agent.free, demand),
        freePorts: subtractRanges(agent.freePorts, portsToRanges(ports)),
      });
    }
    this.taken.clear();
  }

  runningTasks(): RunningTask[] {
    this.settle();
    return [...this.running.values()];
  }

  private settle(): void {
    for (const { placement: p, request } of this.placed)
      this.add({
        app: p.app,
        agentId: p.agentId,
        instance: p.instance,
        demand: request.demand,
        portCount: countPorts(portsToRanges(Object.values(p.ports))),
      });
    this.placed = [];
  }

  private add(task: RunningTask): void {
    const id = this.next++;
    this.running.set(id, task);
    if (task.instance !== undefined) this.unindexed.push(id);
  }

  private index(): void {
    for (const id of this.unindexed) {
      const task = this.running.get(id) as RunningTask;
      const key = instanceKey(task.app, task.instance as number, task.agentId);
      const ids = this.byInstance.get(key);
      if (ids) ids.push(id);
      else this.byInstance.set(key, [id]);
    }
    this.unindexed = [];
  }
}

function instanceKey(app: string, instance: number, agentId: string): string {
  return `${app}\u0000${instance}\u0000${agentId}`;
}
