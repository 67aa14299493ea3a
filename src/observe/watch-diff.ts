import { escapeTerminal } from "../cli/terminal-text.js";
import type { TitanTask } from "../cluster/types.js";
import type { PsSection } from "./ps-view.js";
import { hostPorts } from "./ps-view.js";
import { recoveringText } from "./recovering.js";
import { presentState } from "./states.js";

/** What a row looked like, without the parts that change with the clock alone (ages). */
export interface RowSnapshot {
  label: string;
  fingerprint: string;
  state: TitanTask["state"];
  health: TitanTask["health"];
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
      for (const task of group.rows) {
        const region = section.region ?? "";
        rows.set(`${region}/${group.app}/${task.taskId}`, {
          label: `${region === "" ? "" : `${region} `}${group.app}[${task.instance}]`,
          fingerprint: [task.state, task.health, task.release ?? "", hostPorts(task)].join("|"),
          state: task.state,
          health: task.health,
        });
      }
    }
  }
  return rows;
}

/**
 * The rows of `after`, plus those of `before` that a section no longer lists while its master waits for agents to
 * re-register since it failed over: their tasks most likely still run and are listed again once their agent is back,
 * so a watch reports them neither as gone nor, then, as new.
 */
export function keepUnlisted(
  before: ReadonlyMap<string, RowSnapshot> | undefined,
  after: Map<string, RowSnapshot>,
  sections: readonly PsSection[],
): Map<string, RowSnapshot> {
  if (before === undefined) return after;
  const held = new Set(
    sections.filter((s) => (s.recoveringAgents ?? 0) > 0).map((s) => `${s.region ?? ""}/`),
  );
  if (held.size === 0) return after;
  for (const [key, row] of before) {
    if (after.has(key)) continue;
    if (held.has(key.slice(0, key.indexOf("/") + 1))) after.set(key, row);
  }
  return after;
}

/**
 * A line when a section's master starts or stops waiting for agents to re-register (or their number changes), for
 * --watch when stdout is not a terminal: the rows kept meanwhile (keepUnlisted) are then explained.
 */
export function recoveringChanges(
  before: ReadonlyMap<string, number> | undefined,
  sections: readonly PsSection[],
  now: number,
): string[] {
  const lines: string[] = [];
  const at = new Date(now).toISOString();
  for (const section of sections) {
    const region = section.region ?? "";
    const count = section.recoveringAgents ?? 0;
    const was = before?.get(region) ?? 0;
    if (count === was) continue;
    const where = region === "" ? "" : `${region}  `;
    lines.push(
      escapeTerminal(
        count > 0
          ? `${at}  ${where}${recoveringText(count)}`
          : `${at}  ${where}every agent re-registered with the master: its tasks are listed again`,
      ),
    );
  }
  return lines;
}

/** Each section's count of agents not re-registered since its master failed over, by region. */
export function recoveringByRegion(sections: readonly PsSection[]): Map<string, number> {
  return new Map(sections.map((s) => [s.region ?? "", s.recoveringAgents ?? 0]));
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
  const task = change.key.slice(change.key.lastIndexOf("/") + 1);
  if (change.kind === "added")
    return `${at}  ${change.row.label}  new: ${describe(change.row, now)}  ${task}`;
  if (change.kind === "removed") return `${at}  ${change.before.label}  no longer reported  ${task}`;
  return `${at}  ${change.row.label}  ${describe(change.before, now)} -> ${describe(change.row, now)}  ${task}`;
}
