import type { TitanTask } from "../cluster/types.js";
import type { AppSpec } from "../manifest/types.js";
import type { NearMiss, Placement, Scalars, ScaleInAdvice, ScaleOutAdvice } from "../placement/types.js";

/** What changes for one app in one region: instance indexes to launch, and titan's current tasks to keep, replace or stop. */
export interface AppDiff {
  app: string;
  region: string | null;
  /** Instances the manifest wants in this region. */
  desired: number;
  /** The manifest digest new tasks will carry. */
  digest: string;
  /** Instance indexes with no task yet. */
  launch: number[];
  /** Tasks already matching the manifest. */
  keep: TitanTask[];
  /** Tasks from an older spec; each is replaced by a new task with the same instance index. */
  replace: TitanTask[];
  /** Tasks beyond the desired count, and duplicates of an instance. */
  stop: TitanTask[];
  /**
   * Tasks cut off with their agents (TASK_UNREACHABLE, or TASK_LOST): they may still run, but stand for no instance
   * and cannot be stopped before their agents return; the deploy launches their instances anew and stops them as
   * duplicates if they come back. Neither kept nor stopped, so they change nothing by themselves.
   */
  unreachable: TitanTask[];
}

/** `move`: the instance's task runs the right release on an agent being emptied; it is replaced elsewhere. */
export type LaunchAction = "launch" | "replace" | "move";

/**
 * Where the plan puts a new instance. Its host ports are dynamic: the plan checks that the agent has a free port for
 * each, and the deploy takes their numbers from the agent's offer when it launches the instance, so the plan
 * promises the agent and how many ports, never their numbers.
 */
export interface PlannedPlacement extends Omit<Placement, "ports"> {
  /** The app's port names, in manifest order: each a dynamic host port on the agent. */
  dynamicPorts: readonly string[];
  region: string | null;
  action: LaunchAction;
  /** The agent's attributes, for showing the zone, rack and whatever the app's constraints use. */
  attributes: Readonly<Record<string, string>>;
}

/** One unplaced instance with what the engine said about its group. */
export interface UnplacedInstance {
  app: string;
  region: string | null;
  instance: number;
  demand: Scalars;
  reasons: string[];
  nearest: readonly NearMiss[];
  fixes: readonly string[];
}

export interface InstanceRef {
  app: string;
  instance: number;
}

export interface RolloutStep {
  /** 1-based, within the app's rollout. */
  index: number;
  kind: "stop" | "launch" | "replace";
  /** New tasks started in this step. */
  launch: number[];
  /** Old tasks stopped in this step, before (unavailable) or after (surge) the new ones are healthy. */
  stop: number[];
  /** Whether every new task of the step fits; null when an earlier failure ended the simulation. */
  fits: boolean | null;
  /** Where each new task of the step lands: the plan's placement, which the deploy carries out. */
  placements: StepPlacement[];
}

export interface StepPlacement {
  instance: number;
  agentId: string;
  hostname: string;
}

export interface RolloutReport {
  maxSurge: number;
  maxUnavailable: number;
  steps: RolloutStep[];
  /** Null when an earlier app's rollout failed, so this one was not simulated. */
  fits: boolean | null;
  /** The first step whose new tasks do not fit while the old ones still hold their resources. */
  firstFailure: { step: number; unplaced: UnplacedInstance[] } | null;
}

/** An instance that stays where it runs. */
export interface KeptInstance {
  instance: number;
  agentId: string;
  hostname: string;
  /** Empty when the agent is not schedulable (and so not in the snapshot's agents). */
  attributes: Readonly<Record<string, string>>;
  ports: readonly number[];
}

export interface AppPlan {
  spec: AppSpec;
  /** The Unix user its instances run as: the app's `user`, else the cluster's, else `nobody`. */
  user: string;
  diff: AppDiff;
  kept: KeptInstance[];
  /** Where every launched or replacing instance lands once the rollout is done. */
  placements: PlannedPlacement[];
  unplaced: UnplacedInstance[];
  rollout: RolloutReport;
}

export interface Utilisation {
  cpus: { used: number; total: number };
  mem: { used: number; total: number };
}

export interface Plan {
  seed: number;
  fingerprint: string;
  region: string | null;
  snapshot: { source: string; format: string; agents: number };
  /**
   * Agents a master that failed over has not heard from again (its `recovered_agents`): the snapshot shows neither
   * them nor their tasks, so what does not fit may fit once they re-register.
   */
  recoveringAgents?: number;
  apps: AppPlan[];
  /** Titan apps found running in the snapshot that the manifests do not mention; the plan leaves them alone. */
  otherApps: string[];
  /**
   * Of `otherApps`, those with instances on agents being emptied (drained, or scheduled for maintenance): the plan
   * moves none of them, so they stay there until their agents go down.
   */
  leftOnDraining: string[];
  /**
   * Agents being emptied — drained, or their machines scheduled for maintenance (DRAINING, as an interrupted or
   * running `titan drain` leaves them): nothing new is placed there.
   */
  draining: Array<{ agentId: string; hostname: string }>;
  /** The plan is `titan drain`'s: its apps are what it moves off the agents it drains, not a manifest's. */
  drain: boolean;
  utilisation: { before: Utilisation; after: Utilisation };
  /** Advice when something does not fit; null when everything fits. */
  scaleOut: ScaleOutAdvice | null;
  /** Agents that could be drained once the plan is applied; null when something does not fit. */
  scaleIn: ScaleInAdvice | null;
  /** Set when the plan fits but scale-in advice was not computed: the cluster is larger than the threshold. */
  scaleInSkipped: { agents: number; threshold: number } | null;
  fits: boolean;
  changes: boolean;
  warnings: readonly string[];
  /** The quota limit of titan's role, when it has one (live plans only), and whether the deploy stays within it. */
  quota: QuotaCheck | null;
}

export interface QuotaCheck {
  role: string;
  /** The role's own limits; empty when only other roles' guarantees bound it. */
  limits: Partial<Scalars>;
  /** What the role consumes before the deploy. */
  consumed: Scalars;
  /** The cluster's unallocated unreserved scalars, and what other roles' unmet guarantees hold back of them. */
  headroom: { available: Scalars; heldBack: Scalars } | null;
  /** The first rollout step that would take more than quota lets the role have; null when none does. */
  shortfall: QuotaShortfall | null;
  /**
   * How much more the available headroom would have to hold for the whole rollout to pass other roles'
   * guarantees, per resource; null when it passes them, or when the role's own limit stops it anyway (which more
   * agents do not lift). What the scale-out advice adds agents for.
   */
  headroomDeficit: Scalars | null;
  /**
   * When replacing the shortfall's app in place (max_surge 0) would keep its rollout within quota: the
   * max_unavailable to set with it when the app's own resolves to 0 (a manifest refuses both at 0); null when in
   * place would not help (a first launch, a move off the role's own reservation) or nothing falls short.
   */
  inPlace: { maxUnavailable?: number } | null;
}

export interface QuotaShortfall {
  resource: keyof Scalars;
  /** What stops it: the role's own limit, or the headroom other roles' guarantees hold back. */
  bound: "limit" | "guarantees";
  app: string;
  /** 1-based, as the app's rollout steps are numbered. */
  step: number;
  /** How much more unreserved the role would hold at that step than before the deploy. */
  more: number;
  /** The most the master would offer the role more. */
  allowed: number;
}
