import { ClusterState } from "./cluster.js";
import { compileChecks } from "./compile.js";
import { type AttributeFilter, RegexCache } from "./constraints.js";
import { EligibilityCache } from "./eligibility.js";
import { groupRequests, orderGroups, type RequestGroup } from "./groups.js";
import { bindRules } from "./rules.js";
import { placeGroup } from "./select.js";
import type { Constraint, PlacementInput, RunningTask, ScaleInAdvice, TaskRequest } from "./types.js";
import { toUnits, type Units } from "./units.js";

/** How many agents that stay are tried for making room for one task of a drain that did not fit. */
const ROOM_ATTEMPTS = 4;
/**
 * How many drains the swap pass may try in all: per agent of the cluster, and at least a few on a small one. Most
 * reopened agents pay off early; the budget bounds the time on a cluster where few do.
 */
const SWAP_TRIES_PER_AGENT = 0.1;
const SWAP_MIN_TRIES = 100;
/** Drains that may fail around one reopened agent before it is given up. */
const SWAP_FAILURES = 2;
/** The most moves a reopening may add per agent it frees in all; beyond that the agent is not worth the churn. */
const SWAP_MOVES_PER_AGENT = 64;
/** Reopened agents in a row that were not worth it before the pass stops: on a tightly packed cluster few are. */
const SWAP_FRUITLESS_IN_A_ROW = 8;

export interface ScaleInOptions {
  /**
   * Apps whose constraints are not known (titan apps outside the plan, without a recorded spec): their tasks stay
   * where they are, since moving them could break a spread or a filter nobody told the advice of. An agent that
   * holds one is not drained, and no room is made by moving one.
   */
  unknown?: ReadonlySet<string>;
}

interface Balance {
  filters: readonly AttributeFilter[];
  filterKey: string;
  attribute: string;
  /** The most instances an app balanced here runs. */
  instances: number;
  /** Apps whose balance here is hard. */
  hardApps: string[];
}

interface Move {
  task: RunningTask;
  from: number;
  to: number;
}

/** What to go back to when a tentative step fails: journal position, lengths of the records, task lists changed. */
interface Savepoint {
  journal: number;
  moves: number;
  drains: number;
  lists: Map<number, RunningTask[]>;
  drained: number;
}

/**
 * Which agents could be drained: every task on them re-placed on the remaining agents under all hard constraints.
 *
 * Greedy with verification: agents are tried emptiest first (fewest tasks, then least cpu+mem in use), each by really
 * placing its tasks on the state left by the drains accepted so far, and undoing the attempt when any task does not
 * fit. Agents that received moved tasks are tried like any other, at their new size. A second pass swaps: it reopens
 * large agents drained early and keeps that when two or more smaller agents can then be drained, now allowed to make
 * room on agents that stay (a task that fits nowhere takes the place of unpinned tasks that move on to other agents).
 * See docs/placement.md, "Scale-in".
 */
export function adviseScaleIn(
  input: Omit<PlacementInput, "requests">,
  constraintsByApp: Readonly<Record<string, readonly Constraint[]>>,
  options: ScaleInOptions = {},
): ScaleInAdvice {
  const drainer = new Drainer(input, constraintsByApp, options.unknown ?? new Set());
  for (const i of drainer.order) drainer.tryDrain(i, false);
  drainer.swapLargeForSmall();
  return drainer.advice();
}

class Drainer {
  readonly order: number[];
  private readonly state: ClusterState;
  private readonly eligibility: EligibilityCache;
  private readonly regexes = new RegexCache();
  private readonly hasGpuAgents: boolean;
  private readonly tasksOn: RunningTask[][];
  /** Every accepted drain in order; an agent reopened later and drained again appears twice (the last one counts). */
  private readonly drains: Array<{ agent: number; tasksMoved: number }> = [];
  /** The tasks each drained agent held when it was drained (what it gives back if reopened). */
  private readonly drainedTasks = new Map<number, RunningTask[]>();
  private readonly drainedLog: Array<{ agent: number; before: RunningTask[] | undefined }> = [];
  private readonly savepoints: Savepoint[] = [];
  private readonly eligibleLists = new Map<string, Int32Array>();
  /** The order moved tasks are poured into agents (first fit): the drain order reversed. */
  private readonly pourOrder: Int32Array;
  private readonly moves: Array<{ app: string; instance?: number; from: string; to: string }> = [];
  /**
   * Apps never evicted: those with an attribute filter need particular agents (they are what room is made for), and
   * those with a hard balance could end up skewed once the agent they left counts again.
   */
  private readonly unmovable: Set<string>;
  /**
   * Every balance (soft or hard), by the filter set and attribute that define its domain: the most instances an app
   * balanced over it runs, and the apps whose balance there is hard.
   */
  private readonly balances = new Map<string, Balance>();
  /** Per balance, the agents of each attribute value that pass its filters. */
  private readonly agentsByValue = new Map<string, Int32Array[]>();
  /** Tasks the drain being tried has already moved off agents that stay. */
  private readonly evicting = new Set<RunningTask>();

  constructor(
    input: Omit<PlacementInput, "requests">,
    private readonly constraintsByApp: Readonly<Record<string, readonly Constraint[]>>,
    private readonly unknown: ReadonlySet<string>,
  ) {
    const state = new ClusterState(input.agents, input.running, input.seed);
    this.state = state;
    this.eligibility = new EligibilityCache(state);
    this.hasGpuAgents = state.hasGpuAgents;
    this.tasksOn = state.runningByAgent.map((tasks) => [...tasks]);
    this.unmovable = new Set(
      Object.entries(constraintsByApp)
        .filter(([, cs]) => cs.some((c) => c.kind === "attribute" || (c.kind === "balance" && c.hard)))
        .map(([app]) => app),
    );
    const instancesOf = new Map<string, number>();
    for (const task of input.running) instancesOf.set(task.app, (instancesOf.get(task.app) ?? 0) + 1);
    for (const group of groupRequests(
      Object.entries(constraintsByApp).map(([app, constraints]) => ({
        app,
        instance: 0,
        demand: { cpus: 0, mem: 0, disk: 0, gpus: 0 },
        ports: [],
        constraints,
        strategy: "binpack",
      })),
      this.regexes,
    )) {
      for (const rule of group.compiled.balance) {
        const key = `${group.compiled.filterKey}\u0000${rule.attribute}`;
        const balance = this.balances.get(key) ?? {
          filters: group.compiled.filters,
          filterKey: group.compiled.filterKey,
          attribute: rule.attribute,
          instances: 0,
          hardApps: [],
        };
        balance.instances = Math.max(balance.instances, instancesOf.get(group.app) ?? 0);
        if (rule.hard) balance.hardApps.push(group.app);
        this.balances.set(key, balance);
      }
    }
    const used = (i: number): number =>
      ((state.totalCpus[i] as number) - (state.cpus[i] as number)) / state.normCpus +
      ((state.totalMem[i] as number) - (state.mem[i] as number)) / state.normMem;
    // Agents already excluded from placement (being drained, scheduled for maintenance) are neither drained again
    // nor poured into.
    this.order = [...Array(state.n).keys()]
      .filter((i) => state.disabled[i] === 0)
      .sort(
        (a, b) =>
          (this.tasksOn[a]?.length ?? 0) - (this.tasksOn[b]?.length ?? 0) ||
          used(a) - used(b) ||
          (state.rank[a] as number) - (state.rank[b] as number),
      );
    // Moved tasks go to the agents last in line for draining, so that they rarely have to move twice.
    this.pourOrder = Int32Array.from(this.order).reverse();
    state.begin();
  }

  isDrained(i: number): boolean {
    return this.drainedTasks.has(i);
  }

  private savepoint(): Savepoint {
    const sp: Savepoint = {
      journal: this.state.mark(),
      moves: this.moves.length,
      drains: this.drains.length,
      lists: new Map(),
      drained: this.drainedLog.length,
    };
    this.savepoints.push(sp);
    return sp;
  }

  private restore(sp: Savepoint): void {
    this.savepoints.pop();
    this.state.rollbackTo(sp.journal);
    this.moves.length = sp.moves;
    this.drains.length = sp.drains;
    for (const [agent, list] of sp.lists) this.tasksOn[agent] = list;
    for (const { agent, before } of this.drainedLog.splice(sp.drained).reverse()) {
      if (before) this.drainedTasks.set(agent, before);
      else this.drainedTasks.delete(agent);
    }
  }

  private setDrained(agent: number, tasks: RunningTask[] | undefined): void {
    this.drainedLog.push({ agent, before: this.drainedTasks.get(agent) });
    if (tasks) this.drainedTasks.set(agent, tasks);
    else this.drainedTasks.delete(agent);
  }

  /**
   * Large agents a full repack would keep may have been drained early, into room that the small agents' tasks needed.
   * Reopening one (its resources free again, its old tasks staying where they went) is worth it when two or more of
   * the agents still kept, all smaller, can then be drained, making room on agents that stay where needed, for at
   * most `SWAP_MOVES_PER_AGENT` moves per agent freed in all.
   */
  swapLargeForSmall(): void {
    const { state } = this;
    const size = (i: number): number =>
      (state.totalCpus[i] as number) / state.normCpus + (state.totalMem[i] as number) / state.normMem;
    const position = new Int32Array(state.n);
    this.order.forEach((i, k) => {
      position[i] = k;
    });
    const large = [...this.drainedTasks.keys()]
      .filter((i) => state.isGpuAgent[i] === 0)
      .sort((a, b) => size(b) - size(a) || (position[b] as number) - (position[a] as number));
    // Largest first: an agent just below the reopened one's size frees the most room per drain.
    const kept = this.order
      .filter((i) => !this.isDrained(i))
      .sort((a, b) => size(b) - size(a) || (position[a] as number) - (position[b] as number));
    let budget = Math.max(SWAP_MIN_TRIES, Math.ceil(SWAP_TRIES_PER_AGENT * state.n));
    let fruitless = 0;
    for (const l of large) {
      if (budget <= 0 || fruitless >= SWAP_FRUITLESS_IN_A_ROW) break;
      if (!this.reopeningKeepsBalance(l)) continue;
      const sp = this.savepoint();
      this.reopen(l);
      let gained = 0;
      let failed = 0;
      for (const k of kept) {
        if (this.isDrained(k) || size(k) >= size(l)) continue;
        budget--;
        if (this.tryDrain(k, true)) gained++;
        else if (++failed >= SWAP_FAILURES) break;
      }
      const freed = gained - 1;
      if (freed >= 1 && this.moves.length - sp.moves <= SWAP_MOVES_PER_AGENT * freed) {
        this.keep();
        fruitless = 0;
      } else {
        this.restore(sp);
        fruitless++;
      }
    }
  }

  /**
   * Reopening agent l brings its attribute values back into hard balance domains. A value no agent in use still has
   * holds none of the app's instances, so it may come back only where the app has at most one instance per value.
   */
  private reopeningKeepsBalance(l: number): boolean {
    const { state } = this;
    for (const [key, balance] of this.balances) {
      if (balance.hardApps.length === 0) continue;
      const eligible = this.eligibility.get(balance.filters, balance.filterKey);
      if (eligible[l] === 0) continue;
      const v = state.attribute(balance.attribute).valueIds[l] as number;
      if (v < 0) continue;
      const inDomain = this.valuesInUse(key, balance, eligible);
      if (inDomain[v] === true) continue;
      for (const app of balance.hardApps) {
        const counts = state.counts(app, balance.attribute);
        if (counts.some((c, w) => inDomain[w] === true && c > 1)) return false;
      }
    }
    return true;
  }

  private reopen(l: number): void {
    const { state } = this;
    for (const task of this.drainedTasks.get(l) ?? []) state.giveBack(l, toUnits(task.demand));
    state.enable(l);
    this.setDrained(l, undefined);
  }

  private keep(): void {
    this.savepoints.pop();
    if (this.savepoints.length > 0) return;
    // Nothing can be undone past this point any more: start a fresh journal.
    this.drainedLog.length = 0;
    this.state.commit();
    this.state.begin();
  }

  /** Before a task list changes: every open savepoint keeps its first copy. */
  private touch(agent: number): RunningTask[] {
    const list = this.tasksOn[agent] ?? [];
    for (const sp of this.savepoints) if (!sp.lists.has(agent)) sp.lists.set(agent, [...list]);
    return list;
  }

  /**
   * Whether draining agent i leaves every balanced app as many values of its attribute as it can use: the last agent
   * of a zone stays while an app balanced over zones runs at least as many instances as there are zones, since
   * draining it would leave the app no way to spread (even a hard balance only spreads over the zones agents have).
   */
  private keepsSpread(i: number): boolean {
    const { state } = this;
    for (const [key, balance] of this.balances) {
      const eligible = this.eligibility.get(balance.filters, balance.filterKey);
      if (eligible[i] === 0) continue;
      const v = state.attribute(balance.attribute).valueIds[i] as number;
      if (v < 0) continue;
      const sameValue = this.eligibleByValue(key, balance, eligible)[v] as Int32Array;
      if (sameValue.some((j) => j !== i && state.disabled[j] === 0)) continue;
      const values = this.valuesInUse(key, balance, eligible).filter((inUse) => inUse).length;
      if (values <= balance.instances) return false;
    }
    return true;
  }

  /** Per value of the balance's attribute, whether an agent of it that passes the filters is still in use. */
  private valuesInUse(key: string, balance: Balance, eligible: Uint8Array): boolean[] {
    const { disabled } = this.state;
    return this.eligibleByValue(key, balance, eligible).map((agents) =>
      agents.some((j) => disabled[j] === 0),
    );
  }

  /** The agents of each value of the balance's attribute that pass its filters. */
  private eligibleByValue(key: string, balance: Balance, eligible: Uint8Array): Int32Array[] {
    let byValue = this.agentsByValue.get(key);
    if (!byValue) {
      const { valueIds, values } = this.state.attribute(balance.attribute);
      const lists: number[][] = values.map(() => []);
      for (let j = 0; j < this.state.n; j++) {
        const w = valueIds[j] as number;
        if (w >= 0 && eligible[j] === 1) lists[w]?.push(j);
      }
      byValue = lists.map((list) => Int32Array.from(list));
      this.agentsByValue.set(key, byValue);
    }
    return byValue;
  }

  /** Drains agent i if everything on it fits elsewhere (making room on agents that stay when allowed); else no change. */
  tryDrain(i: number, makeRoom: boolean): boolean {
    const { state } = this;
    if (!this.keepsSpread(i)) return false;
    const tasks = [...(this.tasksOn[i] ?? [])];
    if (this.unknown.size > 0 && tasks.some((t) => this.unknown.has(t.app))) return false;
    this.evicting.clear();
    const sp = this.savepoint();
    state.disable(i);
    for (const task of tasks) state.leave(i, task.app);
    // Evicting a task of an app that also has tasks here could break its count limits until these have moved.
    const blocked = makeRoom ? new Set(tasks.map((t) => t.app)) : undefined;
    const moves = this.placeAll(tasks, i, blocked);
    if (!moves) {
      this.restore(sp);
      return false;
    }
    this.apply(moves);
    this.setDrained(i, tasks);
    this.keep();
    this.drains.push({ agent: i, tasksMoved: moves.length });
    return true;
  }

  advice(): ScaleInAdvice {
    const last = new Map(this.drains.map((d, k) => [d.agent, k]));
    const drain = this.drains
      .filter((d, k) => this.isDrained(d.agent) && last.get(d.agent) === k)
      .map(({ agent, tasksMoved }) => ({
        agentId: this.state.agents[agent]?.id ?? "",
        hostname: this.state.agents[agent]?.hostname ?? "",
        tasksMoved,
      }));
    const unknownConstraints = [...new Set(this.tasksOn.flat().map((t) => t.app))]
      .filter((app) => this.unknown.has(app))
      .sort();
    return { drain, tasksMoved: this.moves.length, moves: this.moves, unknownConstraints };
  }

  /**
   * Places the tasks that leave agent `from`, in the engine's group order; the moves in the order they were decided,
   * or undefined when some task fits nowhere. With `blocked` set, a task that fits nowhere may make room on an agent
   * that stays by evicting unpinned tasks of apps not in `blocked`.
   */
  private placeAll(
    tasks: readonly RunningTask[],
    from: number,
    blocked?: ReadonlySet<string>,
  ): Move[] | undefined {
    const { state, eligibility } = this;
    const requests: TaskRequest[] = tasks.map((task, k) => ({
      app: task.app,
      instance: task.instance ?? k,
      demand: task.demand,
      ports: Array.from({ length: task.portCount }, (_, p) => `port${p}`),
      constraints: this.constraintsByApp[task.app] ?? [],
      strategy: "binpack",
    }));
    const taskOf = new Map(requests.map((r, k) => [r, tasks[k] as RunningTask]));
    const groups = orderGroups(
      groupRequests(requests, this.regexes),
      (g) => eligibility.pool(g),
      eligibility.cluster(false),
    );
    const moves: Move[] = [];
    for (const group of groups) {
      const eligible = eligibility.get(group.compiled.filters, group.compiled.filterKey);
      let todo: readonly TaskRequest[] = group.requests;
      for (;;) {
        for (const allowGpu of this.hasGpuAgents ? [false, true] : [true]) {
          if (todo.length === 0) break;
          const outcome = placeGroup(state, group, todo, eligible, bindRules(state, group, eligible), {
            allowGpuAgents: allowGpu,
            preferredOrder: this.pourOrder,
          });
          for (const b of outcome.placed)
            moves.push({ task: taskOf.get(b.request) as RunningTask, from, to: b.agent });
          todo = outcome.remaining;
        }
        if (todo.length === 0) break;
        const evictions = blocked ? this.makeRoom(group, eligible, blocked) : undefined;
        if (!evictions) return undefined;
        moves.push(...evictions);
      }
    }
    return moves;
  }

  /**
   * Frees room for one instance of the group on an agent that stays, by moving unpinned tasks off it to other agents.
   * Agents are tried last in drain order first (those are kept anyway); the fewest tasks that cover what is missing
   * are moved. Returns the evictions, already booked, or undefined when no agent could be cleared.
   */
  private makeRoom(
    group: RequestGroup,
    eligible: Uint8Array,
    blocked: ReadonlySet<string>,
  ): Move[] | undefined {
    const { state } = this;
    const order = this.eligibleInOrder(group.compiled.filterKey, eligible);
    const rules = bindRules(state, group, eligible);
    const checks = compileChecks({ state, group, eligible, rules, allowGpuAgents: false });
    // Agent j stays and passes every check but resources, and has the ports: only cpus, mem, disk or gpus are missing.
    const couldHost = (j: number): boolean => {
      if (checks.rejection(j, "resources") !== undefined) return false;
      const rejected = checks.rejection(j);
      return rejected?.check === "resources" && !rejected.short.includes("ports");
    };
    const d = group.units;
    let attempts = 0;
    for (let k = 0; k < order.length && attempts < ROOM_ATTEMPTS; k++) {
      const j = order[k] as number;
      if (!couldHost(j)) continue;
      const missing: Units = {
        cpus: Math.max(0, d.cpus - (state.cpus[j] as number)),
        mem: Math.max(0, d.mem - (state.mem[j] as number)),
        disk: Math.max(0, d.disk - (state.disk[j] as number)),
        gpus: Math.max(0, d.gpus - (state.gpus[j] as number)),
      };
      const evicted = this.evictable(j, missing, blocked);
      if (!evicted) continue;
      attempts++;
      const mark = state.mark();
      state.disable(j);
      for (const task of evicted) state.evict(j, task.app, toUnits(task.demand));
      const moves = this.placeAll(evicted, j);
      state.enable(j);
      if (moves) {
        for (const task of evicted) this.evicting.add(task);
        return moves;
      }
      state.rollbackTo(mark);
    }
    return undefined;
  }

  /** The agents that pass a filter set, in the order moved tasks are poured into them. */
  private eligibleInOrder(filterKey: string, eligible: Uint8Array): Int32Array {
    let list = this.eligibleLists.get(filterKey);
    if (!list) {
      list = this.pourOrder.filter((i) => eligible[i] === 1);
      this.eligibleLists.set(filterKey, list);
    }
    return list;
  }

  /**
   * The fewest unpinned tasks on agent j whose resources cover `missing`: the smallest single task that does, else
   * the largest ones until covered. Undefined when the unpinned tasks there cannot cover it.
   */
  private evictable(j: number, missing: Units, blocked: ReadonlySet<string>): RunningTask[] | undefined {
    const size = (t: RunningTask): number => t.demand.cpus / 32 + t.demand.mem / 131072;
    const covers = (ts: readonly RunningTask[]): boolean => {
      const sum = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
      for (const t of ts) {
        const u = toUnits(t.demand);
        sum.cpus += u.cpus;
        sum.mem += u.mem;
        sum.disk += u.disk;
        sum.gpus += u.gpus;
      }
      return (
        sum.cpus >= missing.cpus &&
        sum.mem >= missing.mem &&
        sum.disk >= missing.disk &&
        sum.gpus >= missing.gpus
      );
    };
    const candidates = (this.tasksOn[j] ?? [])
      .filter(
        (t) =>
          !this.unmovable.has(t.app) &&
          !this.unknown.has(t.app) &&
          !blocked.has(t.app) &&
          !this.evicting.has(t),
      )
      .sort((a, b) => size(a) - size(b));
    const single = candidates.find((t) => covers([t]));
    if (single) return [single];
    const taken: RunningTask[] = [];
    for (let k = candidates.length - 1; k >= 0; k--) {
      taken.push(candidates[k] as RunningTask);
      if (covers(taken)) return taken;
    }
    return undefined;
  }

  /** Records accepted moves and keeps track of which tasks sit on which agent now. */
  private apply(moves: readonly Move[]): void {
    const { state } = this;
    for (const { task, from, to } of moves) {
      const fromList = this.touch(from);
      const at = fromList.indexOf(task);
      if (at >= 0) fromList.splice(at, 1);
      const toId = state.agents[to]?.id ?? "";
      this.touch(to).push({ ...task, agentId: toId });
      this.moves.push({
        app: task.app,
        ...(task.instance === undefined ? {} : { instance: task.instance }),
        from: state.agents[from]?.id ?? "",
        to: toId,
      });
    }
  }
}
