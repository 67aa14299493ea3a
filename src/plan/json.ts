import { shapeSpec } from "../placement/shapes.js";
import type { AgentShape, NearMiss, Scalars, ScaleInAdvice, ScaleOutAdvice } from "../placement/types.js";
import type {
  AppPlan,
  Plan,
  PlannedPlacement,
  QuotaCheck,
  RolloutReport,
  UnplacedInstance,
  Utilisation,
} from "./types.js";

/**
 * The version of the JSON document below; bumped only on incompatible changes (docs/plan.md). 2: a new instance's
 * host ports are null (dynamic, their numbers taken at launch), where 1 gave numbers the deploy did not keep.
 */
export const PLAN_JSON_VERSION = 2;

/**
 * The plan as one JSON document with snake_case keys: what `--json` prints and `--out` saves. Resources use Mesos'
 * names and units (cpus, mem and disk in MB, gpus). The shape is documented in docs/plan.md.
 */
export function planToJson(plan: Plan): Record<string, unknown> {
  const apps = plan.apps.map(appJson);
  return {
    version: PLAN_JSON_VERSION,
    seed: plan.seed,
    fingerprint: plan.fingerprint,
    region: plan.region,
    snapshot: plan.snapshot,
    fits: plan.fits,
    changes: plan.changes,
    apps,
    placements: plan.apps.flatMap((a) => a.placements.map(placementJson)),
    unplaced: plan.apps.flatMap((a) => a.unplaced.map(unplacedJson)),
    utilisation: {
      before: utilisationJson(plan.utilisation.before),
      after: utilisationJson(plan.utilisation.after),
    },
    scale_out: plan.scaleOut ? scaleOutJson(plan.scaleOut) : null,
    scale_in: plan.scaleIn ? scaleInJson(plan.scaleIn) : null,
    scale_in_skipped: plan.scaleInSkipped
      ? { reason: scaleInSkippedReason(plan.scaleInSkipped), hint: SCALE_IN_HINT }
      : null,
    other_apps: plan.otherApps,
    left_on_draining: plan.leftOnDraining,
    // Only when some agent is kept out, as the text names them only then: a plan without any reads as before.
    ...(plan.draining.length === 0
      ? {}
      : { draining_agents: plan.draining.map((a) => ({ agent_id: a.agentId, hostname: a.hostname })) }),
    warnings: plan.warnings,
    quota: plan.quota === null ? null : quotaJson(plan.quota),
  };
}

function quotaJson(quota: QuotaCheck): Record<string, unknown> {
  const { headroom } = quota;
  return {
    role: quota.role,
    limits: quota.limits,
    consumed: quota.consumed,
    headroom: headroom === null ? null : { available: headroom.available, held_back: headroom.heldBack },
    shortfall: quota.shortfall,
  };
}

/** The env variables that go as Mesos REFERENCE secrets (`mesos:` references), by name. */
export function mesosSecretVariables(
  app: AppPlan,
): Array<{ variable: string; name: string; key: string | null; raw: string }> {
  return Object.entries(app.spec.env).flatMap(([variable, value]) =>
    value.kind === "secret" && value.source === "mesos"
      ? [{ variable, name: value.ref, key: value.key ?? null, raw: value.raw }]
      : [],
  );
}

function appJson(app: AppPlan): Record<string, unknown> {
  const { diff } = app;
  return {
    app: diff.app,
    region: diff.region,
    digest: diff.digest,
    user: app.user,
    secret_references: mesosSecretVariables(app).map(({ variable, name, key }) => ({ variable, name, key })),
    desired: diff.desired,
    launch: diff.launch,
    keep: diff.keep.map((t) => t.instance),
    replace: diff.replace.map((t) => t.instance),
    stop: diff.stop.map((t) => t.instance),
    unreachable: diff.unreachable.map((t) => t.instance),
    current: [...diff.keep, ...diff.replace, ...diff.stop, ...diff.unreachable]
      .map((t) => ({
        instance: t.instance,
        task_id: t.taskId,
        agent_id: t.agentId,
        hostname: t.hostname,
        digest: t.digest,
        image: t.image ?? null,
        state: t.state,
        release: t.release ?? null,
      }))
      .sort((a, b) => a.instance - b.instance || a.task_id.localeCompare(b.task_id)),
    placements: app.placements.map(placementJson),
    unplaced: app.unplaced.map(unplacedJson),
    rollout: rolloutJson(app.rollout),
  };
}

function placementJson(p: PlannedPlacement): Record<string, unknown> {
  return {
    app: p.app,
    region: p.region,
    instance: p.instance,
    action: p.action,
    agent_id: p.agentId,
    hostname: p.hostname,
    ports: dynamicPortsJson(p.dynamicPorts),
    attributes: p.attributes,
  };
}

/** Port name → null per port: no number is promised. One object per app's list, shared by its placements. */
const dynamicPortsObjects = new WeakMap<readonly string[], Readonly<Record<string, null>>>();

function dynamicPortsJson(names: readonly string[]): Readonly<Record<string, null>> {
  let ports = dynamicPortsObjects.get(names);
  if (ports === undefined) {
    ports = Object.fromEntries(names.map((name) => [name, null]));
    dynamicPortsObjects.set(names, ports);
  }
  return ports;
}

function unplacedJson(u: UnplacedInstance): Record<string, unknown> {
  return {
    app: u.app,
    region: u.region,
    instance: u.instance,
    demand: scalarsJson(u.demand),
    reasons: u.reasons,
    nearest: u.nearest.map(nearJson),
    fixes: u.fixes,
  };
}

function nearJson(n: NearMiss): Record<string, unknown> {
  return { agent_id: n.agentId, hostname: n.hostname, missing: n.missing };
}

function rolloutJson(r: RolloutReport): Record<string, unknown> {
  return {
    max_surge: r.maxSurge,
    max_unavailable: r.maxUnavailable,
    fits: r.fits,
    steps: r.steps.map((s) => ({
      step: s.index,
      kind: s.kind,
      launch: s.launch,
      stop: s.stop,
      fits: s.fits,
      placements: s.placements.map((p) => ({
        instance: p.instance,
        agent_id: p.agentId,
        hostname: p.hostname,
      })),
    })),
    first_failure: r.firstFailure
      ? { step: r.firstFailure.step, unplaced: r.firstFailure.unplaced.map(unplacedJson) }
      : null,
  };
}

function utilisationJson(u: Utilisation): Record<string, unknown> {
  return { cpus: u.cpus, mem: u.mem };
}

function scalarsJson(s: Scalars): Record<string, number> {
  return { cpus: s.cpus, mem: s.mem, disk: s.disk, gpus: s.gpus };
}

function shapeJson(shape: AgentShape): Record<string, unknown> {
  return {
    name: shape.name,
    ...scalarsJson(shape.total),
    attributes: shape.attributes,
    spec: shapeSpec(shape),
  };
}

function scaleOutJson(advice: ScaleOutAdvice): Record<string, unknown> {
  return {
    add: advice.add.map((a) => ({ shape: shapeJson(a.shape), count: a.count })),
    impossible: advice.impossible.map((r) => ({ app: r.app, instance: r.instance })),
  };
}

function scaleInJson(advice: ScaleInAdvice): Record<string, unknown> {
  return {
    drain: advice.drain.map((d) => ({
      agent_id: d.agentId,
      hostname: d.hostname,
      tasks_moved: d.tasksMoved,
    })),
    tasks_moved: advice.tasksMoved,
    unknown_constraints: advice.unknownConstraints,
  };
}

export const SCALE_IN_HINT = "run titan plan with --scale-in to compute it";

export function scaleInSkippedReason(skipped: { agents: number; threshold: number }): string {
  return `scale-in advice skipped: the cluster has ${skipped.agents} agents (computed by default up to ${skipped.threshold})`;
}
