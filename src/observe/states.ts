import { mayStillRun } from "../mesos/task-status.js";
import type { TaskState } from "../mesos/types/mesos.js";

/** How a state should look: ok (green), progress (cyan), warn (yellow), bad (red), past (dim). */
export type Tone = "ok" | "progress" | "warn" | "bad" | "past";

export interface StatePresentation {
  /** e.g. `running`, `unreachable 3m, may still run`, `failed 2h ago`. */
  text: string;
  tone: Tone;
}

interface StateRule {
  word: string;
  tone: Tone;
  /** How elapsed time since the state began is shown. */
  elapsed: "none" | "ago" | "for";
  note?: string;
}

const RULES: Readonly<Record<TaskState, StateRule>> = {
  TASK_STAGING: { word: "staging", tone: "progress", elapsed: "none" },
  TASK_STARTING: { word: "starting", tone: "progress", elapsed: "none" },
  TASK_RUNNING: { word: "running", tone: "ok", elapsed: "none" },
  TASK_KILLING: { word: "killing", tone: "progress", elapsed: "none" },
  TASK_FINISHED: { word: "finished", tone: "past", elapsed: "ago" },
  TASK_FAILED: { word: "failed", tone: "bad", elapsed: "ago" },
  TASK_KILLED: { word: "killed", tone: "past", elapsed: "ago" },
  TASK_ERROR: { word: "error", tone: "bad", elapsed: "ago", note: "not retried" },
  TASK_DROPPED: { word: "dropped", tone: "bad", elapsed: "ago", note: "never started" },
  // The agent is cut off from the master: the process may well be alive. Never show this as dead.
  TASK_UNREACHABLE: {
    word: "unreachable",
    tone: "warn",

    elapsed: "for",
    note: "may still run",
  },
  // titan's frameworks are partition-aware: an unreachable agent gives them TASK_UNREACHABLE, and TASK_LOST only
  // comes when the master removed the agent (it unregistered, or its machine went DOWN: master.cpp
  // `Master::_removeSlave`), whose tasks the agent's shutdown ended.
  TASK_LOST: { word: "lost", tone: "bad", elapsed: "ago", note: "agent removed" },
  TASK_GONE: { word: "gone", tone: "bad", elapsed: "ago", note: "agent lost for good" },
  TASK_GONE_BY_OPERATOR: {
    word: "gone",
    tone: "bad",

    elapsed: "ago",
    note: "agent removed by an operator",
  },
  TASK_UNKNOWN: {
    word: "unknown",
    tone: "warn",

    elapsed: "none",
    note: "master has no record",
  },
};

/** The presentation of each known state that shows no time and no note. */
const FIXED: ReadonlyMap<string, Readonly<StatePresentation>> = new Map(
  Object.entries(RULES)
    .filter(([, rule]) => rule.elapsed === "none" && rule.note === undefined)
    .map(([state, rule]) => [state, Object.freeze({ text: rule.word, tone: rule.tone })]),
);

/** The known states of a task that is, or may still be, running. */
const CURRENT: ReadonlySet<string> = new Set(
  (Object.keys(RULES) as TaskState[]).filter((state) => mayStillRun(state) && state !== "TASK_LOST"),
);

/** Whether the task is, or may still be, running: it holds its instance's slot in `ps`. */
export function isCurrent(state: TaskState): boolean {
  return CURRENT.has(state);
}

/** A compact age: `45s`, `12m`, `5h`, `3d`. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/**
 * The words `ps` shows for a Mesos task state. Partition-aware states are shown for what they mean, not
 * folded into "lost" or "failed": an unreachable task says for how long and that it may still run.
 */
export function presentState(
  state: TaskState,
  sinceMs: number | undefined,
  nowMs: number,
): Readonly<StatePresentation> {
  // Most rows (running, staging) show no time: one shared presentation per state, not one per row.
  const fixed = FIXED.get(state);
  if (fixed !== undefined) return fixed;
  const rule = RULES[state] ?? { word: state.toLowerCase(), tone: "warn", elapsed: "none" };
  const elapsed = sinceMs === undefined ? undefined : formatAge(nowMs - sinceMs);
  let text = rule.word;
  if (elapsed !== undefined && rule.elapsed === "for") text += ` ${elapsed}`;
  if (elapsed !== undefined && rule.elapsed === "ago") text += ` ${elapsed} ago`;
  if (rule.note !== undefined) text += rule.elapsed === "for" ? `, ${rule.note}` : ` (${rule.note})`;
  return { text, tone: rule.tone };
}
