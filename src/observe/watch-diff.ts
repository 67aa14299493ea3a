import { escapeTerminal } from "../cli/terminal-text.js";
import type { TitanTask } from "../cluster/types.js";
import type { PsSection } from "./ps-view.js";
import { hostPorts } from "./ps-view.js";
import { recoveringText } from "./recovering.js";
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
  /** For a run that ended: when (its state is then told with its age, `failed 2s ago`). */
  since?: number;
}

export type RowChange =
  | { kind: "added"; key: string; row: RowSnapshot }
  | { kind: "changed"; key: string; before: RowSnapshot; row: RowSnapshot }
  | { kind: "removed"; key: string; before: RowSnapshot };

function snapshot(region: string, task: TitanTask): RowSnapshot {
  return {
    label: `${region === "" ? "" : `${region} `}${task.app}[${task.instance}]`,
    fingerprint: [task.state, task.health, task.release ?? "", hostPorts(task)].join("|"),
    state: task.state,
    health: task.health,
  };
}

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

/**
 * The ended runs the sections list apart from their rows (PsSection `endedRuns`), keyed as rows are: a row that goes
 * away is then told as the end of its task (`running -> failed 2s ago`), not as a row no longer reported.
 */
export function endedSnapshots(sections: readonly PsSection[]): Map<string, RowSnapshot> {
  const ended = new Map<string, RowSnapshot>();
  for (const section of sections) {
    const region = section.region ?? "";
    for (const task of section.endedRuns?.values() ?? []) {
      const row = { ...snapshot(region, task), health: "none" as const };
      ended.set(
        `${region}/${task.app}/${task.taskId}`,
        task.since === undefined ? row : { ...row, since: task.since },
      );
    }
  }
  return ended;
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

/**
 * The rows that appeared, changed or went away between two polls, in a stable order; a row that went away whose
 * run is in `ended` (endedSnapshots) changed to that end.
 */
export function diffRows(
  before: ReadonlyMap<string, RowSnapshot>,
  after: ReadonlyMap<string, RowSnapshot>,
  ended: ReadonlyMap<string, RowSnapshot> = new Map(),
): RowChange[] {
  const changes: RowChange[] = [];
  for (const [key, row] of after) {
    const old = before.get(key);
    if (old === undefined) changes.push({ kind: "added", key, row });
    else if (old.fingerprint !== row.fingerprint) changes.push({ kind: "changed", key, before: old, row });
  }
  for (const [key, old] of before) {
    if (after.has(key)) continue;
    const end = ended.get(key);
    changes.push(
      end === undefined
        ? { kind: "removed", key, before: old }
        : { kind: "changed", key, before: old, row: end },
    );
  }
  return changes.sort((a, b) => a.key.localeCompare(b.key));
}

function describe(row: RowSnapshot, now: number): string {
  if (row.restart !== undefined) return row.restart;
  const state = presentState(row.state, row.since, now).text;
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
