import type { SchedulerCall } from "./calls.js";
import type { DeployEvent } from "./events.js";

/** Events that say a call is made: a KILL's `killing`, an ACCEPT's `launch`es. Said with their call, not before. */
export function isAnnouncement(event: DeployEvent): boolean {
  return event.type === "killing" || event.type === "launch";
}

/** The events of the same step that announce `call`. */
export function announcing(call: SchedulerCall, events: readonly DeployEvent[]): DeployEvent[] {
  switch (call.kind) {
    case "kill":
      return events.filter((e) => e.type === "killing" && e.task === call.taskId);
    case "accept": {
      const ids = new Set(call.launches.map((l) => l.tracked.taskId));
      return events.filter((e) => e.type === "launch" && ids.has(e.task));
    }
    default:
      return [];
  }
}
