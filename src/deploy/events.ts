import type { FailureCause } from "./failure.js";

/** What a deploy reports as it goes: the NDJSON stream of `--json`, and what the human views render. */
export type DeployEvent =
  | { type: "release"; app: string; release: number; digest: string; reused: boolean }
  /**
   * Said once the deploy holds the app's lock: the app's newest release did not finish (its deploy was interrupted
   * or died) and is resumed under its number, as this deploy carries out the same spec and count.
   */
  | { type: "resume"; app: string; release: number }
  /**
   * Said once the deploy holds the app's lock: the app's newest release did not finish and is marked superseded by
   * release `by`, as it carried another spec, or (`count`) the same spec at another instance count, `instances`.
   */
  | {
      type: "supersede";
      app: string;
      release: number;
      by: number;
      because: "spec" | "count";
      instances?: number;
    }
  | { type: "existing"; app: string; task: string; instance: number; state: string; current: boolean }
  | {
      type: "launch";
      app: string;
      task: string;
      instance: number;
      release: number;
      host: string;
      ports: Readonly<Record<string, number>>;
    }
  | { type: "running"; app: string; task: string; instance: number }
  | { type: "healthy"; app: string; task: string; instance: number }
  | { type: "unhealthy"; app: string; task: string; instance: number }
  | { type: "killing"; app: string; task: string; instance: number; reason: string }
  | { type: "unreachable"; app: string; task: string; instance: number }
  | {
      type: "killed" | "finished" | "failed" | "lost";
      app: string;
      task: string;
      instance: number;
      state: string;
      message?: string;
      /** `health_check`: its executor killed it for failing its health check too often. */
      cause?: "health_check";
    }
  /** What the health check of a task its executor killed last said (read from the task's sandbox stderr). */
  | { type: "check_output"; app: string; task: string; instance: number; output: string }
  | { type: "rollback"; app: string; from: number; to: number; reason: string }
  /**
   * Reality diverged from the plan: the rest of the rollout was placed anew. Each change names the agent the
   * instance was planned on and the one it is planned on now (null: wherever offers allow).
   */
  | { type: "replan"; app: string; reason: string; changes: ReadonlyArray<ReplanChange> }
  /** `until`: when the deploy stops trying (ISO time), the reconnect phase's own bound or --timeout. */
  | { type: "reconnecting"; app: string; reason: string; until: string }
  /** The agent is to be emptied (drained, or asked back for maintenance starting `until`, ISO time). */
  | { type: "evacuate"; app: string; agent: string; until?: string }
  /** The deploy answered the master's inverse offer for the agent: ACCEPT once the app holds nothing there. */
  | { type: "inverse_offer"; app: string; agent: string; answer: "ACCEPT" | "DECLINE" }
  /** Nothing happened for a while: what the deploy waits for (repeated while the wait lasts). */
  | { type: "waiting"; app: string; for: string }
  | {
      type: "done";
      app: string;
      outcome: DeployOutcome;
      release: number;
      reason?: string;
      /**
       * Of what the release failed when it was not its health gates: room in the offers (`no_room`), launches the
       * master took and no agent ran (`not_started`), or launches refused or failed before they ran (`launch_failed`).
       */
      cause?: Exclude<FailureCause, "unhealthy">;
      instances: ReadonlyArray<{ instance: number; task: string; host: string; ports: readonly number[] }>;
    };

export type DeployOutcome = "deployed" | "rolled_back" | "failed";

export type DeployEventSink = (event: DeployEvent) => void;

export interface ReplanChange {
  instance: number;
  from: string;
  to: string | null;
}
