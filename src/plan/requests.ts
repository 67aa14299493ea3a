import type { AppSpec } from "../manifest/types.js";
import type { TaskRequest, UnplacedGroup } from "../placement/types.js";
import type { UnplacedInstance } from "./types.js";

/** The placement request for one instance of an app. */
export function requestFor(app: AppSpec, instance: number): TaskRequest {
  return {
    app: app.name,
    instance,
    demand: app.resources,
    ports: portNames(app),
    constraints: app.constraints,
    strategy: app.placement,
  };
}

/** One list of port names per app, shared by its requests (read-only): a plan makes one request per instance. */
const portNamesOf = new WeakMap<AppSpec, readonly string[]>();

export function portNames(app: AppSpec): readonly string[] {
  let names = portNamesOf.get(app);
  if (names === undefined) {
    names = app.ports.map((p) => p.name);
    portNamesOf.set(app, names);
  }
  return names;
}

/**
 * `mem exhausted on 812 agents`: the engine's reason with the number of agents it excluded; a reason counted on no
 * agent is about the whole cluster (`no agents in the cluster`) and stands alone.
 */
export function formatReason(reason: { reason: string; agents: number }): string {
  if (reason.agents === 0) return reason.reason;
  return `${reason.reason} on ${reason.agents} agent${reason.agents === 1 ? "" : "s"}`;
}

/** One entry per instance, each carrying its group's reasons, nearest agents and fixes. */
export function unplacedInstances(
  groups: readonly UnplacedGroup[],
  region: string | null,
): UnplacedInstance[] {
  const out: UnplacedInstance[] = [];
  for (const group of groups) {
    const reasons = group.reasons.map(formatReason);
    if (reasons.length === 0) reasons.push("no agent can hold it");
    for (const instance of group.instances) {
      out.push({
        app: group.app,
        region,
        instance,
        demand: group.demand,
        reasons,
        nearest: group.nearest,
        fixes: group.fixes,
      });
    }
  }
  return out.sort((a, b) => a.app.localeCompare(b.app) || a.instance - b.instance);
}
