import { OfferTooSmallError, remainingOffer, taskInfo } from "../mesos/task-builder.js";
import type { Offer, TaskInfo } from "../mesos/types/mesos.js";
import type { Placement } from "../placement/types.js";
import { secretReferences } from "./environment.js";
import { formatTaskId } from "./task-id.js";
import { type Containerizer, launchSpec } from "./task-spec.js";
import type { AppTarget, Tracked } from "./tracking.js";

export interface Launch {
  info: TaskInfo;
  tracked: Tracked;
}

export interface CarveContext {
  app: string;
  target: AppTarget;
  region: string | null;
  /** How the cluster's agents run images; `mesos` when absent. */
  containerizer?: Containerizer;
  now: number;
  nextIncarnation(release: number, instance: number): number;
}

/**
 * TaskInfos for a round's placements, carved one after another from what each offer still holds (several tasks
 * on one offer go into one ACCEPT), each with the task the deploy will track. A placement the rest of its offer
 * cannot hold is left out; the next round places it again.
 */
export function carveLaunches(
  placements: ReadonlyArray<{ offer: Offer; placement: Placement }>,
  ctx: CarveContext,
): Map<Offer, Launch[]> {
  const { spec, release } = ctx.target;
  const references = secretReferences(spec);
  const perOffer = new Map<Offer, Launch[]>();
  const leftOf = new Map<Offer, Offer>();
  for (const { offer, placement } of placements) {
    const left = leftOf.get(offer) ?? offer;
    const incarnation = ctx.nextIncarnation(release.number, placement.instance);
    const taskId = formatTaskId({
      app: ctx.app,
      release: release.number,
      instance: placement.instance,
      incarnation,
    });
    let info: TaskInfo;
    try {
      info = taskInfo(
        launchSpec({
          spec,
          taskId,
          release: release.number,
          instance: placement.instance,
          digest: release.manifestDigest,
          region: ctx.region,
          offer: left,
          ports: placement.ports,
          environment: ctx.target.environment,
          ...(Object.keys(references).length === 0 ? {} : { secretReferences: references }),
          ...(ctx.containerizer === undefined ? {} : { containerizer: ctx.containerizer }),
        }),
      );
    } catch (error) {
      if (error instanceof OfferTooSmallError) continue;
      throw error;
    }
    leftOf.set(offer, remainingOffer(left, info.resources ?? []));
    const tracked: Tracked = {
      taskId,
      instance: placement.instance,
      release: release.number,
      incarnation,
      digest: release.manifestDigest,
      state: "LAUNCHING",
      agentId: placement.agentId,
      host: placement.hostname,
      ports: Object.values(placement.ports),
      since: ctx.now,
      killSent: false,
      launchedHere: true,
    };
    perOffer.set(offer, [...(perOffer.get(offer) ?? []), { info, tracked }]);
  }
  return perOffer;
}
