import type { Env } from "../../cli/env.js";
import { TitanError } from "../../cli/errors.js";
import { ExitCode, watchEndCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import { escapeTerminal } from "../../cli/terminal-text.js";
import type { TitanTask } from "../../cluster/types.js";
import { type ClusterTarget, defaultStateUrl } from "../../config/target.js";
import type { GetState } from "../../mesos/types/operator.js";
import { failoverWarning } from "../../observe/coverage.js";
import { groupByApp } from "../../observe/group.js";
import { localClusterStart, lostToRestart, restartNote } from "../../observe/local-restart.js";
import { type PsSection, psToJson, renderPs } from "../../observe/ps-view.js";
import { recoveringAgents } from "../../observe/recovering.js";
import { regionLags } from "../../observe/region-lag.js";
import { REGION_HOLD_MS, showInRegionOrder } from "../../observe/region-order.js";
import { sleep } from "../../observe/sleep.js";
import { isCurrent } from "../../observe/states.js";
import {
  diffRows,
  endedSnapshots,
  keepUnlisted,
  type RowSnapshot,
  recoveringByRegion,
  recoveringChanges,
  renderChange,
  snapshotRows,
} from "../../observe/watch-diff.js";
import { unknownAppError } from "../../release/unknown-app.js";
import { newestDeployed } from "../../state/deployed.js";
import { MISSING_STORE_HINT, missingStore, missingStoreNote } from "../../state/missing.js";
import type { Release, StateStore } from "../../state/types.js";
import { checkRegionSeen, regionsNamed } from "../regions/span.js";
import type { PsOptions } from "./command.js";
import { parseInterval } from "./interval.js";
import { listedTasks, readTitanState } from "./state.js";
import { noRecords, resolveTargets, titanRecords } from "./target.js";

const DEFAULT_INTERVAL_MS = 2000;
const CLEAR_SCREEN = "\x1b[H\x1b[2J";

/** One cluster to read; its client is made when it is first read, so a region without credentials fails alone. */
interface Source {
  target: ClusterTarget;
  /** The warnings about its tasks already said: a watch says each once, not at every poll. */
  warned: Set<string>;
}

const DEFAULT_FAILOVER_MS = 7 * 24 * 3_600_000;

/** The failover timeout the master holds for the app's framework (titan's default when it does not say). */
function failoverTimeoutOf(state: GetState, frameworkId: string | undefined): number {
  const all = [
    ...(state.get_frameworks?.frameworks ?? []),
    ...(state.get_frameworks?.completed_frameworks ?? []),
  ];
  const framework = all.find((f) => f.framework_info.id?.value === frameworkId);
  const seconds = framework?.framework_info.failover_timeout;
  return seconds === undefined ? DEFAULT_FAILOVER_MS : seconds * 1000;
}

type ReadSection = PsSection & { releases?: Map<string, Release[]> } & StoreNotes;

async function readSection(env: Env, source: Source, opts: PsOptions): Promise<ReadSection> {
  const apps = opts.apps;
  const { target } = source;
  const cluster = await target.client();
  const base = {
    region: target.region,
    context: target.context,
    cluster: target.cluster.name,
  };
  const { state, master, titanTasks } = await readTitanState(cluster, env.signal);
  const { tasks, malformed } = titanTasks;
  // Only of the apps asked about, and once per watch.
  for (const bad of malformed) {
    if (apps.length > 0 && !apps.includes(bad.app)) continue;
    const warning = `task ${bad.taskId} of ${bad.app}: ${bad.problem}`;
    if (source.warned.has(warning)) continue;
    source.warned.add(warning);
    writeLine(env.io.err, `${env.io.errColor.yellow("warning:")} ${escapeTerminal(warning)}`);
  }
  const recovering = recoveringAgents(state);
  const mine = listedTasks(state, tasks, target.region);
  const running = [...new Set(mine.map((t) => t.app))];
  // With no app named, the apps the state store knows count too: one that should run and runs nothing here (its
  // agents lost, the cluster restarted) is what most needs showing.
  const store = await target.observedStore();
  const { stored, unreadable, missing } = await storedApps(store, apps.length > 0);
  const names = apps.length > 0 ? apps : [...new Set([...running, ...stored])];
  const now = env.clock.now();
  const { desired, frameworks, releases, coverage, heldAt } =
    unreadable === undefined ? await titanRecords(store, target.region, names, now) : noRecords();
  const down = stored.filter((app) => !running.includes(app) && (desired.get(app) ?? 0) > 0);
  const shown = apps.length > 0 ? apps : [...running, ...down];
  await checkRegionSeen(env, opts, target.region, regionsNamed(tasks, releases.values()));
  if (!opts.watch) {
    for (const app of shown) {
      const timeout = failoverTimeoutOf(state, frameworks.get(app));
      const covered = coverage.get(app)?.leader !== undefined;
      const warning = failoverWarning(app, heldAt.get(app), timeout, covered, now);
      if (warning !== undefined)
        writeLine(env.io.err, `${env.io.errColor.yellow("warning:")} ${escapeTerminal(warning)}`);
    }
    const localStart = target.local ? await localClusterStart(env) : undefined;
    for (const app of down) {
      const lost = lostToRestart(localStart, newestDeployed(releases.get(app)), desired.get(app), 0);
      if (lost !== undefined)
        writeLine(env.io.err, `note: ${escapeTerminal(`${app}: ${restartNote(lost)}`)}`);
    }
  }
  const newest = new Map(
    [...releases].flatMap(([app, list]) => {
      const last = list.at(-1);
      return last === undefined ? [] : [[app, { number: last.number, outcome: last.outcome }] as const];
    }),
  );
  const groups = groupByApp(mine, { only: shown, desired, newest, frameworks, coverage, ended: opts.all });
  const endedRuns = opts.watch && !opts.all ? endedRunsOf(mine, shown) : undefined;
  return {
    ...base,
    master,
    apps: groups,
    releases,
    ...(recovering === 0 ? {} : { recoveringAgents: recovering }),
    ...(endedRuns === undefined ? {} : { endedRuns }),
    ...(unreadable === undefined ? {} : { storeProblem: unreadable }),
    ...(missing === undefined ? {} : { storeMissing: missing }),
    // A default store that does not exist only means no deploy ran from here; a store the config names, a mistake.
    ...(missing !== undefined &&
    groups.length > 0 &&
    target.stateUrl !== defaultStateUrl(env.paths.dataDir, target.cluster.name)
      ? {
          storeNote: `${missingStoreNote(missing)}; desired counts are unknown ("-") (${MISSING_STORE_HINT})`,
        }
      : {}),
  };
}

/** The ended runs of the apps shown, by `app/taskId`: a watch says how a row that went away ended. */
function endedRunsOf(tasks: readonly TitanTask[], apps: readonly string[]): Map<string, TitanTask> {
  const shown = new Set(apps);
  const ended = new Map<string, TitanTask>();
  for (const task of tasks)
    if (shown.has(task.app) && !isCurrent(task.state)) ended.set(`${task.app}/${task.taskId}`, task);
  return ended;
}

/**
 * The apps the state store holds records of (only whether it answers, when apps are named). A store that cannot be
 * read costs the desired column, not the cluster's tasks: `ps` shows them, says why, and exits 1.
 */
async function storedApps(
  store: StateStore,
  named: boolean,
): Promise<{ stored: string[]; unreadable?: string; missing?: string }> {
  try {
    const missing = await missingStore(store);
    if (missing !== undefined) return { stored: [], missing };
    return { stored: named ? [] : await store.apps() };
  } catch (error) {
    if (!(error instanceof TitanError)) throw error;
    const why = error.hint === undefined ? error.message : `${error.message} (${error.hint})`;
    return { stored: [], unreadable: `${why}; desired counts are unknown ("-")` };
  }
}

/** Why a section shows no desired counts: its store could not be read (exit 1), or does not exist. */
interface StoreNotes {
  storeProblem?: string;
  /** The store, when it does not exist (for the unknown-app error). */
  storeMissing?: string;
  /** Why the desired counts are missing when the store the config names does not exist. */
  storeNote?: string;
}

type Section = PsSection & StoreNotes;

/**
 * Says once why a section's store could not be read, or that it does not exist while the cluster runs apps whose
 * desired count it would hold (a watch says it again only when it changes).
 */
function warnStore(
  env: Env,
  sections: readonly Section[],
  said: Map<number, string | undefined>,
  first = 0,
): void {
  sections.forEach((section, i) => {
    const note = section.storeProblem ?? section.storeNote;
    if (note !== undefined && said.get(first + i) !== note)
      writeLine(env.io.err, `${env.io.errColor.yellow("warning:")} ${escapeTerminal(note)}`);
    said.set(first + i, note);
  });
}

/** Every section; with several regions an unreadable one becomes an error row instead of hiding the rest. */
async function readSections(env: Env, sources: readonly Source[], opts: PsOptions): Promise<Section[]> {
  return withLags(await readEach(env, sources, opts));
}

/** With several regions, each section says which of its apps lag a release that other regions run. */
function withLags(sections: readonly ReadSection[]): Section[] {
  const apps = new Set(sections.flatMap((s) => [...(s.releases?.keys() ?? [])]));
  const lags = [...apps].flatMap((app) =>
    regionLags(
      app,
      new Map(
        sections.flatMap((s) => (s.region === undefined ? [] : [[s.region, s.releases?.get(app)] as const])),
      ),
    ),
  );
  return sections.map(({ releases, ...section }) => {
    void releases;
    const mine = lags.filter((l) => l.region === section.region);
    return mine.length === 0 ? section : { ...section, lagging: mine };
  });
}

async function readEach(env: Env, sources: readonly Source[], opts: PsOptions): Promise<ReadSection[]> {
  return Promise.all(sources.map((source) => readOrError(env, source, opts, sources.length)));
}

/** A section; with several regions, one that cannot be read is an error row instead of a failure. */
async function readOrError(env: Env, source: Source, opts: PsOptions, regions: number): Promise<ReadSection> {
  try {
    return await readSection(env, source, opts);
  } catch (error) {
    if (regions === 1 || !(error instanceof TitanError) || env.signal.aborted) throw error;
    return {
      region: source.target.region,
      context: source.target.context,
      cluster: source.target.cluster.name,
      master: (await source.target.masters().catch(() => source.target.cluster.masters)).join(","),
      apps: [],
      error: error.hint === undefined ? error.message : `${error.message} (${error.hint})`,
    };
  }
}

/** An app named that no section knows, when every section could be read: `ps` is then a usage error. */
function checkAppsKnown(apps: readonly string[], sections: readonly Section[]): void {
  const unknown = apps.find((app) => !sections.some((s) => knows(s, app)));
  if (unknown !== undefined && sections.every((s) => s.error === undefined))
    throw unknownAppError(unknown, sections.find((s) => s.storeMissing !== undefined)?.storeMissing);
}

/**
 * The sections of several regions as text, each shown once it is read: in region order when every region answers
 * within the hold, else the ones in first and each later one when it answers (or its deadline passes), so that a
 * region that hangs does not hide the others. A region that lags a release another region's answer records is said
 * so in its own section, or, when that answer came after its section was shown, in the section of that answer.
 */
async function showAsRead(env: Env, sources: readonly Source[], opts: PsOptions): Promise<Section[]> {
  const warned = new Map<number, string | undefined>();
  const lagsSaid = new Set<string>();
  const shownRegions = new Set<string | undefined>();
  let first = true;
  const reads = sources.map((source) => readOrError(env, source, opts, sources.length));
  const read = await showInRegionOrder(reads, {
    holdMs: REGION_HOLD_MS,
    enough: (known) => opts.apps.every((app) => known.some((k) => knows(k.value, app))),
    show: (batch, known) => {
      const lagged = withLags(known.map((k) => k.value));
      if (known.length === sources.length) checkAppsKnown(opts.apps, lagged);
      const lags = lagged.flatMap((s) => s.lagging ?? []);
      const sections = batch.map(({ index }) => {
        const section = lagged[known.findIndex((k) => k.index === index)];
        if (section === undefined) throw new Error(`region ${index} was shown before it was read`);
        shownRegions.add(section.region);
        const mine = lags.filter((lag) => {
          const key = `${lag.app}\0${lag.region}`;
          if (lagsSaid.has(key) || !shownRegions.has(lag.region)) return false;
          lagsSaid.add(key);
          return true;
        });
        const { lagging, ...rest } = section;
        void lagging;
        return mine.length === 0 ? rest : { ...rest, lagging: mine };
      });
      batch.forEach(({ index }, i) => {
        const section = sections[i];
        if (section !== undefined) warnStore(env, [section], warned, index);
      });
      const lines = renderPs(sections, env.clock.now(), env.io.color);
      if (!first && lines.length > 0) lines.unshift("");
      first = false;
      // One write, not one per row: a write to a pipe is a system call.
      if (lines.length > 0) writeLine(env.io.out, lines.join("\n"));
    },
  });
  return withLags(read);
}

export async function runPs(env: Env, opts: PsOptions): Promise<number> {
  const interval = parseInterval(opts.interval, DEFAULT_INTERVAL_MS, "2s");
  const targets = await resolveTargets(env, opts, opts.allRegions);
  const sources: Source[] = targets.map((target) => ({ target, warned: new Set() }));
  try {
    if (opts.watch) return await watch(env, sources, opts, interval);
    const sections =
      sources.length > 1 && !opts.json
        ? await showAsRead(env, sources, opts)
        : await readSections(env, sources, opts);
    const partial = sections.some((s) => s.error !== undefined || s.storeProblem !== undefined);
    if (sources.length > 1 && !opts.json) return partial ? ExitCode.Runtime : ExitCode.Ok;
    checkAppsKnown(opts.apps, sections);
    warnStore(env, sections, new Map());
    const now = env.clock.now();
    if (opts.json) writeLine(env.io.out, JSON.stringify(psToJson(sections, now), null, 2));
    else {
      // One write, not one per row: a write to a pipe is a system call.
      const lines = renderPs(sections, now, env.io.color);
      if (lines.length > 0) writeLine(env.io.out, lines.join("\n"));
    }
    return partial ? ExitCode.Runtime : ExitCode.Ok;
  } finally {
    await Promise.all(targets.map((target) => target.close()));
  }
}

/**
 * Whether the section knows the app: a release in the state store (whatever its outcome: one that failed before
 * any task ran is still the app's), or a task of a live framework.
 */
function knows(section: PsSection, app: string): boolean {
  const group = section.apps.find((g) => g.app === app);
  return (
    group !== undefined &&
    (group.desired !== undefined ||
      group.newestRelease !== undefined ||
      group.rows.length + group.hiddenEnded > 0)
  );
}

/**
 * Polls until Ctrl-C. A terminal gets the whole view redrawn when it changed; JSON gets one document per change;
 * anything else gets the full view once, then one timestamped line per row that changed. Ending the watch is the
 * normal way out, so it exits 0. A failed poll is reported and retried rather than ending the watch.
 */
async function watch(
  env: Env,
  sources: readonly Source[],
  opts: PsOptions,
  interval: number,
): Promise<number> {
  let previousText: string | undefined;
  let previousRows: Map<string, RowSnapshot> | undefined;
  let previousRecovering: Map<string, number> | undefined;
  const said = new Map<number, string | undefined>();
  const poller = new RegionPoller(env, sources, opts);
  while (!env.signal.aborted) {
    let sections: Section[];
    try {
      sections = sources.length > 1 ? await poller.poll() : await readSections(env, sources, opts);
      warnStore(env, sections, said);
    } catch (error) {
      if (env.signal.aborted) break;
      if (!(error instanceof TitanError)) throw error;
      writeLine(
        env.io.err,
        `${env.io.errColor.yellow("warning:")} ${escapeTerminal(error.message)}; retrying`,
      );
      if (!(await sleep(interval, env.signal))) break;
      continue;
    }
    const now = env.clock.now();
    const rows = keepUnlisted(previousRows, snapshotRows(sections), sections);
    const recovering = recoveringByRegion(sections);
    const recoveringLines = recoveringChanges(previousRecovering, sections, now);
    if (opts.json) {
      const changed =
        previousRows === undefined || diffRows(previousRows, rows).length > 0 || recoveringLines.length > 0;
      if (changed) writeLine(env.io.out, JSON.stringify(psToJson(sections, now)));
    } else if (env.io.isStdoutTTY) {
      const text = renderPs(sections, now, env.io.color).join("\n");
      if (text !== previousText) env.io.out.write(`${CLEAR_SCREEN}${text}\n`);
      previousText = text;
    } else if (previousRows === undefined) {
      for (const line of renderPs(sections, now, env.io.color)) writeLine(env.io.out, line);
    } else {
      for (const line of recoveringLines) writeLine(env.io.out, line);
      const ended = endedSnapshots(sections);
      for (const change of diffRows(previousRows, rows, ended))
        writeLine(env.io.out, renderChange(change, now));
    }
    previousRows = rows;
    previousRecovering = recovering;
    if (!(await sleep(interval, env.signal))) break;
  }
  return watchEndCode(env.signal);
}

/**
 * A watch's reads of several regions. Each poll shows every region that answered within the hold; a region still
 * being read (a master that hangs is given up on only after 75 s) shows its last answer, or that it is awaited, and
 * is asked again only once it has answered, so that it neither holds the others back nor piles up requests.
 */
class RegionPoller {
  private readonly inFlight = new Map<number, Promise<ReadSection>>();
  private readonly latest = new Map<number, ReadSection>();

  constructor(
    private readonly env: Env,
    private readonly sources: readonly Source[],
    private readonly opts: PsOptions,
  ) {}

  async poll(): Promise<Section[]> {
    const reads = this.sources.map((source, index) => {
      const running = this.inFlight.get(index);
      if (running !== undefined) return running;
      const read = readOrError(this.env, source, this.opts, this.sources.length);
      this.inFlight.set(index, read);
      read.then(
        (section) => {
          this.latest.set(index, section);
          this.inFlight.delete(index);
        },
        () => this.inFlight.delete(index),
      );
      return read;
    });
    await Promise.race([Promise.all(reads), sleep(REGION_HOLD_MS, this.env.signal)]);
    return withLags(this.sources.map((source, index) => this.latest.get(index) ?? awaited(source)));
  }
}

/** The section of a region whose first answer a watch still waits for. */
function awaited(source: Source): ReadSection {
  const { target } = source;
  return {
    region: target.region,
    context: target.context,
    cluster: target.cluster.name,
    master: target.cluster.masters.join(","),
    apps: [],
    error: `no answer yet from its master (one that does not answer is given up on after 75 s)`,
  };
}
