import { escapeTerminal } from "../cli/terminal-text.js";
import type { TitanTask } from "../cluster/types.js";
import type { PsSection } from "./ps-view.js";
import { hostPorts } from "./ps-view.js";
import { restartCause } from "./restart-backoff.js";
import { isCurrent, presentState } from "./states.js";

/** What a row looked like, without the parts that change with the clock alone (ages). */
export interface RowSnapshot {
  label: string;
  fingerprint: string;
  state: TitanTask["state"];
  health: TitanTask["health"];
  /** Why a supervisor launches the instance again, while it holds it in restart backoff. */
  restart?: string;
}

export type RowChange =
  | { kind: "added"; key: string; row: RowSnapshot }
  | { kind: "changed"; key: string; before: RowSnapshot; row: RowSnapshot }
  | { kind: "removed"; key: string; before: RowSnapshot };

/** Every instance row of a `ps` answer keyed by region/app/task id. */
export function snapshotRows(sections: readonly PsSection[]): Map<string, RowSnapshot> {
  const rows = new Map<string, RowSnapshot>();
  for (const section of sections) {
    for (const group of section.apps) {
      const region = section.region ?? "";
      const label = (instance: number) => `${region === "" ? "" : `${region} `}${group.app}[${instance}]`;
      for (const task of group.rows) {
        const held = isCurrent(task.state) ? undefined : group.restarting?.get(task.instance);
        const restart = held === undefined ? undefined : `restarting (${restartCause(held)})`;
        rows.set(`${region}/${group.app}/${task.taskId}`, {
          label: label(task.instance),
          fingerprint: [task.state, task.health, task.release ?? "", hostPorts(task), restart ?? ""].join(
            "|",
          ),
          state: task.state,
          health: task.health,
          ...(restart === undefined ? {} : { restart }),
        });
      }
      // An instance in restart backoff that the master lists no task of: keyed by its instance, with no task id.
      for (const held of group.restartingUnlisted ?? []) {
        const restart = `restarting (${restartCause(held)})`;
        rows.set(`${region}/${group.app}/-${held.instance}`, {
          label: label(held.instance),
          fingerprint: restart,
          state: "TASK_FAILED",
          health: "none",
          restart,
        });
      }
    }
  }
  return rows;
}

/** The rows that appeared, changed or went away between two polls, in a stable order. */
export function diffRows(
  before: ReadonlyMap<string, RowSnapshot>,
  after: ReadonlyMap<string, RowSnapshot>,
): RowChange[] {
  const changes: RowChange[] = [];
  for (const [key, row] of after) {
    const old = before.get(key);
    if (old === undefined) changes.push({ kind: "added", key, row });
    else if (old.fingerprint !== row.fingerprint) changes.push({ kind: "changed", key, before: old, row });
  }
  for (const [key, old] of before) if (!after.has(key)) changes.push({ kind: "removed", key, before: old });
  return changes.sort((a, b) => a.key.localeCompare(b.key));
}

function describe(row: RowSnapshot, now: number): string {
  if (row.restart !== undefined) return row.restart;
  const state = presentState(row.state, undefined, now).text;
  return row.health === "none" ? state : `${state}, ${row.health}`;
}

/** One timestamped line per change, for --watch when stdout is not a terminal. */
export function renderChange(change: RowChange, now: number): string {
  // Task ids and host names come from the cluster: shown as data, never as terminal control.
  return escapeTerminal(describeChange(change, now));
}

function describeChange(change: RowChange, now: number): string {
  const at = new Date(now).toISOString();
  const id = change.key.slice(change.key.lastIndexOf("/") + 1);
  const task = id.startsWith("-") ? "(no task listed)" : id;
  if (change.kind === "added")
    return `${at}  ${change.row.label}  new: ${describe(change.row, now)}  ${task}`;
  if (change.kind === "removed") return `${at}  ${change.before.label}  no longer reported  ${task}`;
  return `${at}  ${change.row.label}  ${describe(change.before, now)} -> ${describe(change.row, now)}  ${task}`;
}
