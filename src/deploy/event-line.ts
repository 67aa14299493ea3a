/**
 * The one serialiser of the `--json` stream of `deploy` and the commands built on it (`scale`, `restart`,
 * `rollback`, `stop`, `drain`): every line is written here, and stamped here with its `time`, so no kind of line
 * can be written without one.
 */
import type { Writable } from "node:stream";
import { writeLine } from "../cli/io.js";
import type { FailurePolicy } from "../manifest/types.js";
import type { DeployEvent } from "./events.js";
import type { RegionOutcome } from "./waves.js";

/** The lines the commands write around the deploy's own events: the plan, their ends, and a rollout's steps. */
export type CommandEvent =
  /** The plan, as `titan plan --json` gives it (one per region in a deploy over several). */
  | { type: "plan"; region?: string; plan: Readonly<Record<string, unknown>> }
  /** `reason` when titan's records alone show it, before any plan: `stopped` (a restart of a stopped app). */
  | { type: "nothing_to_do"; reason?: "stopped" }
  | { type: "declined" }
  | { type: "dry_run"; apps: readonly string[] }
  /** `titan drain`: the agents' machines scheduled before its moves (DRAINING), brought down after them (DOWN). */
  | { type: "maintenance"; agents: readonly string[]; mode: "DRAINING" | "DOWN" }
  /** `deploy --detach`: the deploy goes on in the background. */
  | {
      type: "detached";
      app: string;
      release: number;
      pid: number;
      log: string;
      output: string;
      follow: string;
    }
  | {
      type: "rollout";
      waves: readonly (readonly string[])[];
      soak_ms: number;
      on_failure: FailurePolicy;
      skipped: readonly string[];
    }
  | { type: "wave"; wave: number; regions: readonly string[] }
  | { type: "soak"; wave: number; until: string }
  | { type: "region_done"; region: string; outcome: RegionOutcome; reason?: string }
  | { type: "superseded"; region: string; reason?: string }
  | { type: "rollback_regions"; regions: readonly string[] }
  | {
      type: "rollout_done";
      regions: ReadonlyArray<{
        region: string;
        outcome: RegionOutcome;
        reason?: string;
        finish?: readonly string[];
      }>;
    };

/** Any line of the stream. */
export type StreamEvent = DeployEvent | CommandEvent;

/**
 * One NDJSON line: the event, the region it happened in (a deploy over several regions tags its deploys' events),
 * and `time`, when it happened (epoch ms; now, unless it happened earlier), as ISO 8601.
 */
export function eventLine(event: StreamEvent, at: number, region?: string): string {
  const where = region === undefined ? {} : { region };
  return JSON.stringify({ ...event, ...where, time: new Date(at).toISOString() });
}

/** Writes one line of the stream to `out` (stdout): `at` is when the event happened, usually now. */
export function writeEvent(out: Writable, event: StreamEvent, at: number, region?: string): void {
  writeLine(out, eventLine(event, at, region));
}
