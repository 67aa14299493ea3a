import type { ClusterState } from "./cluster.js";
import type { GroupChecks } from "./compile.js";
import type { RequestGroup } from "./groups.js";
import type { GroupOutcome } from "./select.js";
import type { TaskRequest } from "./types.js";

/**
 * First fit along a fixed agent order, under the same checks as best fit. Within a group an agent that fails once
 * fails for good (resources only shrink, counts only grow), so the scan resumes where the previous instance landed.
 */
export function firstFit(
  state: ClusterState,
  group: RequestGroup,
  requests: readonly TaskRequest[],
  checks: GroupChecks,
  order: Int32Array,
): GroupOutcome {
  const passes = checks.passesFn();
  const placed: GroupOutcome["placed"] = [];
  let at = 0;
  for (let k = 0; k < requests.length; k++) {
    let agent = -1;
    for (; at < order.length; at++) {
      const i = order[at] as number;
      state.evaluations++;
      if (passes(i)) {
        agent = i;
        break;
      }
    }
    if (agent < 0) return { placed, remaining: requests.slice(k) };
    placed.push({
      request: requests[k] as TaskRequest,
      agent,
      ports: state.allocate(agent, group.app, group.units, group.portCount),
    });
  }
  return { placed, remaining: [] };
}
