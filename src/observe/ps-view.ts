import type { ChalkInstance } from "chalk";
import { renderTable } from "../cli/table.js";
import { escapeDeep, escapeTerminal } from "../cli/terminal-text.js";
import type { TitanTask } from "../cluster/types.js";
import type { InstanceBackoff } from "../state/types.js";
import { coverageJson, coverageText } from "./coverage.js";
import { type AppGroup, runningText } from "./group.js";
import { isoTime } from "./iso-time.js";
import { undeployedText } from "./no-instance.js";
import { recoveringText } from "./recovering.js";
import { describeLag, type RegionLag } from "./region-lag.js";
import { restartJson, restartText } from "./restart-backoff.js";
import { formatAge, isCurrent, presentState, type StatePresentation, type Tone } from "./states.js";

/** One cluster's answer in `ps`: a region (or the target's cluster when no region is named). */
export interface PsSection {
  region?: string;
  context: string;
  cluster: string;
  /** The master that answered. */
  master: string;
  apps: AppGroup[];
  /** Set when this region could not be read; the other regions are still shown. */
  error?: string;
  /** Apps of this region that lag a release other regions run (a deploy skipped this region). */
  lagging?: RegionLag[];
  /** Agents the master has not heard from since it failed over: it lists none of their tasks (recovering.ts). */
  recoveringAgents?: number;
  /**
   * For a watch: the ended runs the master still lists that are not rows (without --all), by `app/taskId`, so that
   * a row that goes away says how its task ended.
   */
  endedRuns?: ReadonlyMap<string, TitanTask>;
}

const NONE_HELD: ReadonlyMap<number, InstanceBackoff> = new Map();

const HEADERS = ["INSTANCE", "RELEASE", "STATE", "HEALTH", "HOST:PORTS", "ZONE", "AGE"] as const;

function paint(color: ChalkInstance, tone: Tone, text: string): string {
  if (tone === "ok") return color.green(text);
  if (tone === "progress") return color.cyan(text);
  if (tone === "warn") return color.yellow(text);
  if (tone === "bad") return color.red(text);
  return color.dim(text);
}

/** The health a row shows: an ended run has none, whatever its last check said. */
function shownHealth(task: TitanTask): TitanTask["health"] {
  return isCurrent(task.state) ? task.health : "none";
}

export function hostPorts(task: TitanTask): string {
  return task.ports.length === 0 ? task.hostname : `${task.hostname}:${task.ports.join(",")}`;
}

/**
 * The cells of instance rows. The state (a master may send one titan does not know), host, zone and image come
 * from the cluster, so they are escaped for the terminal here, before colour is added. A table can have tens of
 * thousands of rows, so the cells every row shares (health, a state without a time, small numbers) are made once.
 */
function rowCellMaker(
  now: number,
  color: ChalkInstance,
  withImage: boolean,
  restarting: ReadonlyMap<number, InstanceBackoff>,
): (task: TitanTask) => string[] {
  const health: Record<TitanTask["health"], string> = {
    healthy: color.green("healthy"),
    unhealthy: color.red("unhealthy"),
    checking: color.cyan("checking"),
    none: "-",
  };
  const states = new Map<Readonly<StatePresentation>, string>();
  const numbers: string[] = [];
  const number = (n: number | undefined): string => {
    if (n === undefined) return "-";
    if (n >= 1024) return String(n);
    let text = numbers[n];
    if (text === undefined) {
      text = String(n);
      numbers[n] = text;
    }
    return text;
  };
  return (task) => {
    const held = restarting.get(task.instance);
    const state =
      held !== undefined && !isCurrent(task.state)
        ? { text: restartText(held, now), tone: "warn" as const }
        : presentState(task.state, task.since, now);
    let stateCell = states.get(state);
    if (stateCell === undefined) {
      stateCell = paint(color, state.tone, escapeTerminal(state.text));
      // Only presentations without a time are shared between rows, and so worth keeping.
      if (Object.isFrozen(state)) states.set(state, stateCell);
    }
    const cells = [
      number(task.instance),
      number(task.release),
      stateCell,
      health[shownHealth(task)],
      escapeTerminal(hostPorts(task)),
      task.zone === undefined ? "-" : escapeTerminal(task.zone),
      task.startedAt === undefined ? "-" : formatAge(now - task.startedAt),
    ];
    if (withImage) cells.push(escapeTerminal(imageCell(task.image)));
    return cells;
  };
}

/** The section without its instance rows, which rowCells escapes cell by cell instead of field by field. */
function withoutRows(section: PsSection): PsSection {
  return { ...section, apps: section.apps.map((group) => ({ ...group, rows: [] })) };
}

/** The image's digest, short (`sha256:0123456789ab`), or the reference when it is not pinned. */
export function imageCell(image: string | undefined): string {
  if (image === undefined) return "-";
  const match = /@(sha256:[0-9a-f]{12})[0-9a-f]{52}$/.exec(image);
  return match?.[1] ?? image;
}

function sectionTitle(section: PsSection): string {
  const where = `context ${section.context} · cluster ${section.cluster} · ${section.master}`;
  return section.region === undefined ? where : `region ${section.region} · ${where}`;
}

/**
 * `ps` as text: per section a title, then per app its counts and a table of instances. Entries are lines, but an
 * app's table is one entry of many lines: join the entries, or write each, with a newline after it.
 */
export function renderPs(sections: readonly PsSection[], now: number, color: ChalkInstance): string[] {
  const lines: string[] = [];
  // Labels, host names and messages come from the cluster: shown as data, never as terminal control.
  for (const unescaped of sections) {
    const section = escapeDeep(withoutRows(unescaped));
    if (lines.length > 0) lines.push("");
    lines.push(color.bold(sectionTitle(section)));
    for (const lag of section.lagging ?? []) lines.push(`  ${color.yellow("lagging:")} ${describeLag(lag)}`);
    if (section.error !== undefined) {
      lines.push(`  ${color.red("unavailable:")} ${section.error}`);
      continue;
    }
    const recovering = section.recoveringAgents ?? 0;
    if (recovering > 0) lines.push(`  ${color.yellow("recovering:")} ${recoveringText(recovering)}`);
    if (section.apps.length === 0) {
      lines.push(recovering > 0 ? "  no titan app is listed here" : "  no titan apps run here");
      continue;
    }
    for (const [index, group] of section.apps.entries()) {
      // The instance rows and what the supervisor says of them are escaped cell by cell.
      const raw = unescaped.apps[index] ?? group;
      const rows = raw.rows;
      const desired = group.desired === undefined ? "-" : String(group.desired);
      lines.push("");
      lines.push(
        `${color.bold(group.app)}  desired ${desired}  ${runningText(group.running, group.stopping)}  healthy ${group.healthy}${frameworkText(group, color)}${supervisorText(group, now, color)}`,
      );
      const hidden = group.hiddenEnded;
      const endedNote =
        hidden === 0 ? "" : `${hidden} ended instance${hidden === 1 ? "" : "s"} not shown (--all shows them)`;
      if (rows.length === 0 && (raw.restartingUnlisted ?? []).length === 0) {
        const none =
          recovering > 0
            ? "  no instances listed while the master waits for agents to re-register"
            : endedNote === ""
              ? "  no instances"
              : `  no instances run; ${endedNote}`;
        const undeployed =
          group.desired === undefined && group.newestRelease !== undefined
            ? undeployedText(group.app, group.newestRelease)
            : undefined;
        lines.push(undeployed === undefined ? none : `${none}; ${undeployed}`);
        continue;
      }
      const withImage = rows.some((task) => task.image !== undefined);
      const cells = rows.map(rowCellMaker(now, color, withImage, raw.restarting ?? NONE_HELD));
      // One entry of many lines: callers join or write entries with newlines between them.
      lines.push(
        renderTable(
          withImage ? [...HEADERS, "IMAGE"] : HEADERS,
          withUnlisted(cells, rows, raw.restartingUnlisted ?? [], now, color, withImage),
          "  ",
        ),
      );
      if (endedNote !== "") lines.push(`  ${color.dim(endedNote)}`);
    }
  }
  return lines;
}

/**
 * The rows of instances held in restart backoff that the master lists no task of, placed among the others by
 * instance: only the instance and what the supervisor says of it are known.
 */
function withUnlisted(
  cells: string[][],
  rows: readonly TitanTask[],
  unlisted: readonly InstanceBackoff[],
  now: number,
  color: ChalkInstance,
  withImage: boolean,
): string[][] {
  if (unlisted.length === 0) return cells;
  const all = [
    ...cells.map((row, i) => ({ instance: rows[i]?.instance ?? 0, row })),
    ...unlisted.map((held) => ({
      instance: held.instance,
      row: [
        String(held.instance),
        "-",
        color.yellow(escapeTerminal(restartText(held, now))),
        "-",
        "-",
        "-",
        "-",
        ...(withImage ? ["-"] : []),
      ],
    })),
  ];
  return all.sort((a, b) => a.instance - b.instance).map((r) => r.row);
}

/** Which framework runs the app; another config's framework (or several) is called out. */
function frameworkText(group: AppGroup, color: ChalkInstance): string {
  const [only, ...more] = group.frameworks;
  if (only === undefined) return "";
  if (more.length === 0 && only.own !== false) return `  ${color.dim(`framework ${only.name}`)}`;
  const list = group.frameworks
    .map(
      (f) => `${f.name} ${f.id}${f.own === false ? " (not this config's)" : f.own ? " (this config's)" : ""}`,
    )
    .join(", ");
  return `  ${color.yellow(`frameworks: ${list}`)}`;
}

/** Who supervises the app, when a supervisor covers it (nothing is said of apps no supervisor covers). */
function supervisorText(group: AppGroup, now: number, color: ChalkInstance): string {
  const coverage = group.coverage;
  if (coverage === undefined || coverage.supervisors === 0) return "";
  const text = coverageText(coverage, now);
  return `  ${coverage.leader?.brake === undefined ? color.dim(text) : color.red(text)}`;
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : isoTime(ms);
}

/** `ps --json`: one document, stable snake_case field names like every other JSON of titan's (schema_version 1). */
export function psToJson(sections: readonly PsSection[], now: number): Record<string, unknown> {
  return {
    schema_version: 1,
    generated_at: new Date(now).toISOString(),
    regions: sections.map((section) => ({
      region: section.region ?? null,
      context: section.context,
      cluster: section.cluster,
      master: section.master,
      error: section.error,
      recovering_agents: section.recoveringAgents ?? 0,
      lagging: (section.lagging ?? []).map((l) => ({
        app: l.app,
        release: l.release,
        of_region: l.ahead,
        since: iso(l.since),
      })),
      apps: section.apps.map((group) => ({
        app: group.app,
        desired: group.desired ?? null,
        running: group.running,
        stopping: group.stopping,
        healthy: group.healthy,
        supervisor: group.coverage === undefined ? null : coverageJson(group.coverage),
        frameworks: group.frameworks.map((f) => ({
          id: f.id,
          name: f.name,
          tasks: f.tasks,
          own: f.own ?? null,
        })),
        instances: instancesJson(group, now),
      })),
    })),
  };
}

/** An app's instance rows in `--json`, with the instances in restart backoff that the master lists no task of. */
function instancesJson(group: AppGroup, now: number): Array<Record<string, unknown>> {
  const rows = group.rows.map((task) => {
    const held = isCurrent(task.state) ? undefined : group.restarting?.get(task.instance);
    return {
      instance: task.instance,
      release: task.release ?? null,
      task_id: task.taskId,
      framework_id: task.frameworkId,
      agent_id: task.agentId,
      state: task.state,
      state_text:
        held === undefined ? presentState(task.state, task.since, now).text : restartText(held, now),
      state_since: iso(task.since),
      health: shownHealth(task),
      host: task.hostname,
      ports: task.ports,
      zone: task.zone ?? null,
      image: task.image ?? null,
      started_at: iso(task.startedAt),
      age_seconds: task.startedAt === undefined ? null : Math.floor((now - task.startedAt) / 1000),
      restart: held === undefined ? null : restartJson(held, now),
    };
  });
  if (group.restartingUnlisted === undefined) return rows;
  const unlisted = group.restartingUnlisted.map((held) => ({
    instance: held.instance,
    release: null,
    task_id: null,
    framework_id: null,
    agent_id: null,
    state: null,
    state_text: restartText(held, now),
    state_since: null,
    health: "none",
    host: null,
    ports: [],
    zone: null,
    image: null,
    started_at: null,
    age_seconds: null,
    restart: restartJson(held, now),
  }));
  return [...rows, ...unlisted].sort((a, b) => a.instance - b.instance);
}
