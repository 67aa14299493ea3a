/**
 * The placement module's inputs and outputs. Pure data: no Mesos JSON, no YAML, no I/O. The same types serve a
 * cluster snapshot (`titan plan`), live offers (`titan deploy`) and the scale-out / scale-in questions.
 */

/** Scalar resources as Mesos counts them: cpus (3 decimals), mem and disk in MB, gpus whole. */
export interface Scalars {
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
}

/** An inclusive range of host ports, as Mesos' `ports` resource. */
export interface PortRange {
  begin: number;
  end: number;
}

export interface Agent {
  id: string;
  hostname: string;
  /** Attribute values as text (Mesos TEXT/SCALAR attributes formatted as strings), e.g. zone, rack, instance_type. */
  attributes: Readonly<Record<string, string>>;
  /** What the agent has in total (for utilisation and shape). */
  total: Scalars;
  /** What is free for titan to use now: total minus used, offered to others, and reserved for other roles. */
  free: Scalars;
  /** Free port ranges, sorted, non-overlapping. */
  freePorts: readonly PortRange[];
  /**
   * The agent takes no new instances: it is being drained, or its machine is scheduled for maintenance. The
   * "drained" check of placement rejects it; what runs there stays counted for the constraints until it moves.
   */
  draining?: boolean;
}

/** A task already running (or being kept) on an agent. Its resources are already subtracted from `free`. */
export interface RunningTask {
  app: string;
  agentId: string;
  /** Instance index when the task is titan's, for the plan diff; absent for foreign tasks. */
  instance?: number;
  /** What the task holds (needed to move it when asking which agents could be drained). */
  demand: Scalars;
  /** How many host ports it holds. */
  portCount: number;
}

export type Constraint =
  /** At most one instance of the app per value of the attribute (`hostname` is the agent's hostname). */
  | { kind: "unique"; attribute: string }
  /** At most `count` instances of the app per value of the attribute. */
  | { kind: "max_per"; attribute: string; count: number }
  /** The agent's attribute must equal / fully match / not fully match the value (a regular expression for like/unlike). */
  | { kind: "attribute"; attribute: string; op: "equals" | "like" | "unlike"; value: string }
  /** Spread the app's instances evenly across the attribute's values; soft unless `hard`. */
  | { kind: "balance"; attribute: string; hard: boolean };

export type PlacementStrategy = "binpack" | "spread";

export interface TaskRequest {
  app: string;
  instance: number;
  demand: Scalars;
  /** Named host ports this task needs, one each. */
  ports: readonly string[];
  constraints: readonly Constraint[];
  strategy: PlacementStrategy;
}

export interface PlacementInput {
  agents: readonly Agent[];
  running: readonly RunningTask[];
  requests: readonly TaskRequest[];
  /** Seed for any tie-breaking; the same input and seed give the same result. */
  seed: number;
}

export interface Placement {
  app: string;
  instance: number;
  agentId: string;
  hostname: string;
  /** Port name -> host port taken from the agent's free ranges. */
  ports: Readonly<Record<string, number>>;
}

/** How far the nearest agents were from fitting a request. */
export interface NearMiss {
  agentId: string;
  hostname: string;
  /** Per dimension, how much was missing (only dimensions that were short). */
  missing: Partial<Scalars> & { ports?: number };
}

/** Instances of one app that could not be placed, with the reasons counted over agents. */
export interface UnplacedGroup {
  app: string;
  instances: number[];
  demand: Scalars;
  /** e.g. { reason: "mem exhausted", agents: 812 }, most frequent first. */
  reasons: ReadonlyArray<{ reason: string; agents: number }>;
  nearest: readonly NearMiss[];
  /** Concrete fixes: a smaller request that would fit, or the constraint that blocks. */
  fixes: readonly string[];
}

export interface PlacementResult {
  placements: Placement[];
  unplaced: UnplacedGroup[];
  seed: number;
  metrics: { agentsEvaluated: number; durationMs?: number };
}

/** An agent shape offered to scale-out: how big a new agent would be and which attributes it carries. */
export interface AgentShape {
  name: string;
  total: Scalars;
  ports: readonly PortRange[];
  attributes: Readonly<Record<string, string>>;
  /**
   * Attributes whose value a new agent of this shape may choose (e.g. the zones it can be started in); scale-out
   * picks the value that constraints such as balance or unique need.
   */
  choices?: Readonly<Record<string, readonly string[]>>;
}

export interface ScaleOutAdvice {
  /** Agents to add, by shape. Re-running placement with them added places everything. */
  add: ReadonlyArray<{ shape: AgentShape; count: number }>;
  /**
   * The new agents exactly as the advice was verified with (generated ids and hostnames). Real agents get other
   * names; ties between otherwise equal agents may then break differently.
   */
  agents: readonly Agent[];
  /**
   * Requests placement still leaves out with every recommended agent added: those no offered shape can hold (larger
   * than every shape, a filter no shape matches, a count limit new values cannot relieve), or the few left when the
   * verification rounds ran out.
   */
  impossible: readonly TaskRequest[];
}

export interface ScaleInAdvice {
  /**
   * Agents that can be drained: everything on them re-placed elsewhere under all hard constraints. `tasksMoved` counts
   * the moves the drain takes: its own tasks, and tasks moved off agents that stay to make room for them.
   */
  drain: ReadonlyArray<{ agentId: string; hostname: string; tasksMoved: number }>;
  /** All moves (`moves.length`). */
  tasksMoved: number;
  /**
   * Every move, in the order it was decided; replayed in this order, every state on the way is valid. A task can move
   * twice: when its new agent is drained later, or moves it on to make room.
   */
  moves: ReadonlyArray<{ app: string; instance?: number; from: string; to: string }>;
  /** Apps with tasks in the cluster whose constraints were not known: their tasks were left where they are. */
  unknownConstraints: readonly string[];
}
