import type { ChalkInstance } from "chalk";
import { renderTable } from "../cli/table.js";
import { escapeDeep, escapeTerminal } from "../cli/terminal-text.js";
import { shortDigest } from "../cluster/digest.js";
import { DIMENSIONS, round3 } from "../cluster/resources.js";
import { formatName } from "../cluster/snapshot.js";
import type { SnapshotFormat, TitanTask } from "../cluster/types.js";
import type { AgentShape, ScaleInAdvice, ScaleOutAdvice } from "../placement/types.js";
import { splitMoves } from "./diff.js";
import { formatCpus, formatDemand, formatInstances, formatMem, formatMissing, percent } from "./format.js";
import { mesosSecretVariables, SCALE_IN_HINT, scaleInSkippedReason } from "./json.js";
import type {
  AppPlan,
  Plan,
  PlannedPlacement,
  QuotaCheck,
  QuotaShortfall,
  StepPlacement,
  UnplacedInstance,
} from "./types.js";

/** The plan for people, in the spirit of `nomad job plan` and `terraform plan`. Colour only through `c`. */
export function renderPlan(remote: Plan, c: ChalkInstance): string[] {
  // Host names, attributes and task labels come from the cluster: shown as data, never as terminal control. Where
  // each instance lands (a row per instance: 100,000 on a large plan) is escaped cell by cell as the tables are
  // made, from the plan as it came; everything else is escaped here.
  const plan = escapeDeep(withoutLandings(remote));
  const lines: string[] = [];
  const where = plan.region === null ? "" : `region ${c.bold(plan.region)} · `;
  const format = formatName(plan.snapshot.format as SnapshotFormat);
  lines.push(
    `Plan: ${where}${plan.snapshot.source} (${format}, ${plan.snapshot.agents} agent${plan.snapshot.agents === 1 ? "" : "s"})`,
  );
  lines.push("");
  if (plan.apps.length === 0)
    lines.push(
      plan.drain
        ? "Nothing for titan to move: none of the apps it deployed runs on the agents being drained."
        : "No app in the manifests runs in this region.",
      "",
    );
  plan.apps.forEach((app, k) => {
    const shortfall = plan.quota?.shortfall;
    const overQuota = shortfall?.app === app.diff.app ? shortfall.step : undefined;
    lines.push(...renderApp(app, landingsOf(remote.apps[k] as AppPlan), c, overQuota), "");
  });
  lines.push(...renderOtherApps(plan, c));
  lines.push(...renderDraining(plan, c));
  lines.push(...renderUtilisation(plan), ...renderQuota(plan.quota), "");
  lines.push(...renderVerdict(plan, placedCount(remote), c), "");
  lines.push(`seed ${plan.seed} — replay with --seed ${plan.seed}`);
  lines.push(`fingerprint ${plan.fingerprint}`);
  return lines;
}

/** Where an app's instances land, as the plan has them: not escaped yet. */
interface Landings {
  placements: readonly PlannedPlacement[];
  kept: AppPlan["kept"];
  steps: ReadonlyArray<readonly StepPlacement[]>;
}

function landingsOf(app: AppPlan): Landings {
  return { placements: app.placements, kept: app.kept, steps: app.rollout.steps.map((s) => s.placements) };
}

/** The plan without its landings (see `Landings`), to be escaped whole. */
function withoutLandings(plan: Plan): Plan {
  return {
    ...plan,
    apps: plan.apps.map((app) => ({
      ...app,
      placements: [],
      kept: [],
      rollout: { ...app.rollout, steps: app.rollout.steps.map((s) => ({ ...s, placements: [] })) },
    })),
  };
}

function placedCount(plan: Plan): number {
  return plan.apps.reduce((n, a) => n + a.placements.length, 0);
}

/** `overQuota`: the rollout step that would take titan's role past its quota limit, if it is this app's. */
function renderApp(app: AppPlan, landings: Landings, c: ChalkInstance, overQuota?: number): string[] {
  const { diff } = app;
  const { replaced, moves } = splitMoves(diff);
  const region = diff.region === null ? "" : ` (${diff.region})`;
  const lines = [
    `${changeMarker(diff, replaced.length, moves.length, c)} app ${c.bold(diff.app)}${region}: ${changeCounts(diff, replaced.length, moves.length, c)}  → ${diff.desired} instance${diff.desired === 1 ? "" : "s"} as ${app.user}`,
  ];

  const references = mesosSecretVariables(app);
  if (references.length > 0)
    lines.push(
      `    env as Mesos secret references (the agents resolve them; no value in the TaskInfo): ${references.map((r) => `${r.variable} ← ${r.raw}`).join(", ")}`,
    );
  const oldDigests = [...new Set(replaced.map((t) => shortDigest(t.digest)))];
  if (oldDigests.length > 0) {
    lines.push(`    spec ${oldDigests.join(", ")} → ${shortDigest(diff.digest)} (forces replace)`);
    const oldImages = [...new Set(replaced.flatMap((t) => (t.image === undefined ? [] : [t.image])))];
    const image = app.spec.image;
    if (image !== undefined && oldImages.some((old) => old !== image)) {
      lines.push(`    image ${oldImages.join(", ")} → ${image}`);
    }
  }
  if (diff.stop.length > 0) {
    lines.push(`    stop ${diff.stop.map((t) => `${diff.app}[${t.instance}] on ${t.hostname}`).join(", ")}`);
  }
  if (diff.unreachable.length > 0) lines.push(`    ${unreachableLine(diff.app, diff.unreachable)}`);
  if (landings.placements.length + landings.kept.length > 0) lines.push(placementTable(app, landings));
  lines.push(...renderRollout(app, landings, c, overQuota, new Set(moves.map((t) => t.instance))));
  return lines;
}

/**
 * Tasks cut off with their agents: left alone, as the deploy leaves them (a master cannot kill them before their
 * agents return), and never counted, so their instances launch anew unless another task stands for them.
 */
function unreachableLine(app: string, tasks: readonly TitanTask[]): string {
  const where = tasks
    .map((t) => `${app}[${t.instance}] on ${t.hostname}${unreachableSince(t.since)}`)
    .join(", ");
  const one = tasks.length === 1;
  return `unreachable ${where}: ${one ? "its agent is" : "their agents are"} out of contact; ${one ? "it" : "they"} may still run but stand${one ? "s" : ""} for no instance, and ${one ? "is" : "are"} stopped as ${one ? "a duplicate" : "duplicates"} if ${one ? "it comes" : "they come"} back`;
}

/** ` since 2026-12-06 07:10 UTC`: when the master marked the task unreachable, when it says. */
function unreachableSince(since: number | undefined): string {
  if (since === undefined || !Number.isFinite(since)) return "";
  return ` since ${new Date(since).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** `~` changes a spec (or launches and stops at once), `+` only launches, `>` only moves, `-` only stops. */
function changeMarker(diff: AppPlan["diff"], replaced: number, moves: number, c: ChalkInstance): string {
  const launch = diff.launch.length;
  const stop = diff.stop.length;
  if (replaced > 0 || (launch > 0 && stop > 0)) return c.yellow("~");
  if (launch > 0) return c.green("+");
  if (moves > 0) return c.cyan(">");
  return stop > 0 ? c.red("-") : c.dim("=");
}

/** `+1 launch  ~0 replace  -0 stop  =2 keep`, with `>N move` when instances leave agents being emptied. */
function changeCounts(diff: AppPlan["diff"], replaced: number, moves: number, c: ChalkInstance): string {
  return [
    c.green(`+${diff.launch.length} launch`),
    c.yellow(`~${replaced} replace`),
    ...(moves > 0 ? [c.cyan(`>${moves} move`)] : []),
    c.red(`-${diff.stop.length} stop`),
    c.dim(`=${diff.keep.length} keep`),
  ].join("  ");
}

/** Columns for the attributes the app's constraints use, zone first when agents have one. */
function attributeColumns(app: AppPlan, landings: Landings): string[] {
  const used = app.spec.constraints.map((k) => k.attribute).filter((a) => a !== "hostname");
  const columns = [...new Set(["zone", ...used])];
  const has = (col: string) => (p: { attributes: Readonly<Record<string, string>> }) =>
    p.attributes[col] !== undefined;
  return columns.filter((col) => landings.placements.some(has(col)) || landings.kept.some(has(col)));
}

/**
 * Where every instance of the app will run: new and replacing tasks, and those kept where they are, by instance.
 * One multi-line entry: a plan has a row per instance, and the table is written as bytes in one piece.
 */
function placementTable(app: AppPlan, landings: Landings): string {
  const columns = attributeColumns(app, landings);
  const header = ["instance", "action", "agent", ...columns, "ports"];
  const name = app.diff.app;
  const rows: string[][] = [];
  const instances: number[] = [];
  const row = (
    instance: number,
    action: string,
    hostname: string,
    attributes: Readonly<Record<string, string>>,
    ports: string,
  ): void => {
    const cells = [`${name}[${instance}]`, action, escapeTerminal(hostname)];
    for (const col of columns) cells.push(escapeTerminal(attributes[col] ?? "-"));
    cells.push(ports || "-");
    rows.push(cells);
    instances.push(instance);
  };
  // A new instance's ports are taken from its agent's offer at launch: how many, not which. A kept instance's are the
  // numbers its task holds (only numbers: a running task's resources carry no port names).
  for (const p of landings.placements) {
    const count = p.dynamicPorts.length;
    row(p.instance, ACTION_CELLS[p.action], p.hostname, p.attributes, count === 0 ? "" : `${count} dynamic`);
  }
  for (const k of landings.kept) row(k.instance, "= keep", k.hostname, k.attributes, k.ports.join(" "));
  return renderTable(header, inInstanceOrder(rows, instances), "    ");
}

const ACTION_CELLS: Readonly<Record<PlannedPlacement["action"], string>> = {
  launch: "+ launch",
  replace: "~ replace",
  move: "> move",
};

/** The rows by instance (a stable sort, as placements and kept instances may interleave). */
function inInstanceOrder(rows: string[][], instances: readonly number[]): string[][] {
  let sorted = true;
  for (let k = 1; k < instances.length && sorted; k++)
    sorted = (instances[k - 1] as number) <= (instances[k] as number);
  if (sorted) return rows;
  const order = rows.map((_, k) => k).sort((a, b) => (instances[a] as number) - (instances[b] as number));
  return order.map((k) => rows[k] as string[]);
}

function renderRollout(
  app: AppPlan,
  landings: Landings,
  c: ChalkInstance,
  overQuota: number | undefined,
  moved: ReadonlySet<number>,
): string[] {
  const r = app.rollout;
  if (r.steps.length === 0) return [];
  const limits = `max_surge ${r.maxSurge}, max_unavailable ${r.maxUnavailable}`;
  const steps = `${r.steps.length} step${r.steps.length === 1 ? "" : "s"}`;
  const verdict =
    r.fits === null
      ? c.dim("not checked (an earlier rollout does not fit)")
      : !r.fits
        ? c.red(`step ${r.firstFailure?.step ?? "?"} does not fit`)
        : overQuota !== undefined
          ? c.red(`step ${overQuota} passes the role's quota limit`)
          : c.green("every step fits");
  const lines = [`  rollout: ${steps} (${limits}) — ${verdict}`];
  r.steps.forEach((step, k) => {
    const what =
      step.kind === "stop"
        ? `stop ${formatInstances(app.diff.app, step.stop)}`
        : step.kind === "launch"
          ? `launch ${formatInstances(app.diff.app, step.launch)}`
          : `${step.launch.every((i) => moved.has(i)) ? "move" : "replace"} ${formatInstances(app.diff.app, step.launch)}`;
    const afterQuota = overQuota !== undefined && step.index > overQuota;
    const fits = step.fits === true && (overQuota === undefined || step.index < overQuota);
    const mark = step.fits === null || afterQuota ? c.dim("·") : fits ? c.green("✓") : c.red("✗");
    lines.push(`    ${mark} ${step.index}. ${what}${landing(app.diff.app, landings.steps[k] ?? [])}`);
  });
  return lines;
}

/** Where a step's launches land: ` → host-1`, or grouped by agent ` → host-1: web[0,2]; host-2: web[1]`. */
function landing(app: string, placements: readonly StepPlacement[]): string {
  if (placements.length === 0) return "";
  const byHost = new Map<string, number[]>();
  for (const p of placements) {
    const host = escapeTerminal(p.hostname);
    const instances = byHost.get(host);
    if (instances) instances.push(p.instance);
    else byHost.set(host, [p.instance]);
  }
  if (byHost.size === 1) return ` → ${[...byHost.keys()].join("")}`;
  const parts = [...byHost].map(([host, instances]) => `${host}: ${formatInstances(app, instances)}`);
  return ` → ${parts.join("; ")}`;
}

function renderUtilisation(plan: Plan): string[] {
  const { before, after } = plan.utilisation;
  const cpu = `cpus ${round(before.cpus.used)}/${round(before.cpus.total)} (${percent(before.cpus.used, before.cpus.total)}) → ${round(after.cpus.used)}/${round(after.cpus.total)} (${percent(after.cpus.used, after.cpus.total)})`;
  const mem = `mem ${formatMem(before.mem.used)}/${formatMem(before.mem.total)} (${percent(before.mem.used, before.mem.total)}) → ${formatMem(after.mem.used)} (${percent(after.mem.used, after.mem.total)})`;
  return [`Cluster in use: ${cpu} · ${mem}`];
}

function round(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function renderVerdict(plan: Plan, placed: number, c: ChalkInstance): string[] {
  const lines: string[] = [];
  const unplaced = plan.apps.flatMap((a) => a.unplaced);
  const rolloutFailures = plan.apps.filter((a) => a.rollout.firstFailure !== null);
  if (plan.fits) {
    lines.push(
      placed === 0
        ? c.green(plan.changes ? "Scheduler dry-run: nothing to place." : "Scheduler dry-run: no changes.")
        : c.green(
            `Scheduler dry-run: ${placed === 1 ? "the new instance fits" : `all ${placed} new instances fit`}, and every rollout step fits.`,
          ),
    );
    if (plan.scaleIn && plan.scaleIn.drain.length > 0) lines.push(renderScaleIn(plan.scaleIn));
    if (plan.scaleInSkipped)
      lines.push(c.dim(`${capitalise(scaleInSkippedReason(plan.scaleInSkipped))}; ${SCALE_IN_HINT}.`));
    return lines;
  }
  lines.push(c.red("Scheduler dry-run: WARNING — not everything fits."));
  for (const app of plan.apps) {
    if (app.unplaced.length > 0) {
      lines.push(
        `  app ${c.bold(app.diff.app)}: ${app.unplaced.length} instance${app.unplaced.length === 1 ? "" : "s"} cannot be placed`,
      );
      lines.push(...renderUnplaced(app.diff.app, app.unplaced));
    }
  }
  for (const app of rolloutFailures) {
    const failure = app.rollout.firstFailure;
    if (!failure || app.unplaced.length > 0) continue;
    lines.push(
      `  app ${c.bold(app.diff.app)}: the end state fits, but rollout step ${failure.step} of ${app.rollout.steps.length} does not — the old tasks still hold their resources while the new ones start`,
    );
    lines.push(...renderUnplaced(app.diff.app, failure.unplaced));
  }
  const shortfall = plan.quota?.shortfall;
  if (plan.quota && shortfall) lines.push(...renderQuotaShortfall(plan.quota, shortfall));
  if (unplaced.length === 0 && rolloutFailures.length === 0 && !shortfall) lines.push("  (no details)");
  lines.push(...renderScaleOut(plan.scaleOut, plan.recoveringAgents ?? 0));
  return lines;
}

/** What bounds titan's role, before the deploy: `Quota: role web uses 3 of its 4 cpus limit; …`. */
function renderQuota(quota: QuotaCheck | null): string[] {
  if (quota === null) return [];
  const parts: string[] = [];
  for (const resource of DIMENSIONS) {
    const limit = quota.limits[resource];
    if (limit !== undefined)
      parts.push(
        `role ${quota.role} uses ${amountOf(resource, quota.consumed[resource])} of its ${amountOf(resource, limit)} limit`,
      );
    const held = quota.headroom?.heldBack[resource] ?? 0;
    if (held > 0)
      parts.push(
        `other roles' guarantees hold back ${amountOf(resource, held)} of the ${amountOf(resource, quota.headroom?.available[resource] ?? 0)} unallocated`,
      );
  }
  return [`Quota: ${parts.join("; ")}`];
}

/** An amount of a resource as the plan shows it: `0.5 cpus`, `2 GiB`, `100 MiB disk`, `1 gpus`. */
function amountOf(resource: keyof QuotaCheck["consumed"], n: number): string {
  if (resource === "cpus") return formatCpus(n);
  if (resource === "gpus") return `${n} gpus`;
  return `${formatMem(n)}${resource === "disk" ? " disk" : ""}`;
}

/** `role web's quota limit of 0.5 cpus: …`, with what would lift it. */
function renderQuotaShortfall(quota: QuotaCheck, shortfall: QuotaShortfall): string[] {
  const { resource, app, step, more, allowed } = shortfall;
  const amount = (n: number) => amountOf(resource, n);
  const where = `app ${app}'s rollout step ${step}`;
  // Replacing in place is offered only where the plan found that it keeps the rollout within quota.
  const inPlace =
    quota.inPlace === null
      ? []
      : [
          `replace in place (update.max_surge: 0${quota.inPlace.maxUnavailable === undefined ? "" : `, max_unavailable: ${quota.inPlace.maxUnavailable}`})`,
        ];
  if (shortfall.bound === "limit") {
    const consumed = quota.consumed[resource];
    return [
      `  role ${quota.role}'s quota limit of ${amount(quota.limits[resource] ?? 0)}: ${where} would bring the role to ${amount(round3(consumed + more))} (${amount(consumed)} in use now), and the master offers the role no more`,
      `      fix: ${orList(["raise the role's limit (UPDATE_QUOTA)", "lower the requests", ...inPlace])}`,
    ];
  }
  const held = quota.headroom?.heldBack[resource] ?? 0;
  const available = quota.headroom?.available[resource] ?? 0;
  return [
    `  other roles' quota guarantees hold back ${amount(held)} of the ${amount(available)} unallocated: ${where} would take ${amount(more)} more, and the master offers role ${quota.role} no more than ${amount(allowed)}`,
    `      fix: ${orList(["lower the requests", ...inPlace, "add agents", "have those guarantees lowered (UPDATE_QUOTA)"])}`,
  ];
}

/** `a or b`, `a, b, or c`. */
function orList(items: readonly string[]): string {
  if (items.length <= 2) return items.join(" or ");
  return `${items.slice(0, -1).join(", ")}, or ${items.at(-1)}`;
}

/** Groups instances that share the same explanation, as the engine reports them per group. */
function renderUnplaced(app: string, unplaced: readonly UnplacedInstance[]): string[] {
  const groups = new Map<string, UnplacedInstance[]>();
  for (const u of unplaced) {
    const key = JSON.stringify([u.reasons, u.fixes, u.nearest]);
    groups.set(key, [...(groups.get(key) ?? []), u]);
  }
  const lines: string[] = [];
  for (const members of groups.values()) {
    const first = members[0];
    if (!first) continue;
    lines.push(
      `    ${formatInstances(
        app,
        members.map((m) => m.instance),
      )} (${formatDemand(first.demand)} each):`,
    );
    for (const reason of first.reasons) lines.push(`      * ${reason}`);
    if (first.nearest.length > 0) {
      const near = first.nearest.slice(0, 3).map((n) => `${n.hostname} (${formatMissing(n.missing)})`);
      lines.push(`      nearest: ${near.join(", ")}`);
    }
    for (const fix of first.fixes) lines.push(`      fix: ${fix}`);
  }
  return lines;
}

/** Apps shown by name on the line of apps left alone; on a shared cluster the others run thousands. */
const OTHER_APPS_SHOWN = 10;

/**
 * The apps titan runs that the plan leaves alone, each line naming the first few (the JSON lists them all): for a
 * drain, those it leaves on the agents it drains apart from those elsewhere, which it has no reason to touch.
 */
function renderOtherApps(plan: Plan, c: ChalkInstance): string[] {
  if (!plan.drain) {
    if (plan.otherApps.length === 0) return [];
    return [c.dim(`Also running, not in these manifests (left alone): ${someApps(plan.otherApps)}`), ""];
  }
  const lines: string[] = [];
  const left = new Set(plan.leftOnDraining);
  if (left.size > 0)
    lines.push(
      c.yellow(
        `Not moved: ${someApps(plan.leftOnDraining)} on the agents being drained, with no release in this state store to move them with; their instances there end when the machines go down.`,
      ),
      "",
    );
  const elsewhere = plan.otherApps.filter((app) => !left.has(app));
  if (elsewhere.length > 0)
    lines.push(
      c.dim(`Also running, not on the agents being drained (left alone): ${someApps(elsewhere)}`),
      "",
    );
  return lines;
}

/**
 * The agents nothing new is placed on, so that a plan that finds too little room says why (placement's explanation
 * counts no drained agent): for a drain, its agents and any other scheduled for maintenance.
 */
function renderDraining(plan: Plan, c: ChalkInstance): string[] {
  if (plan.draining.length === 0) return [];
  const all = plan.draining.map((a) => a.hostname);
  const shown = all.slice(0, OTHER_APPS_SHOWN);
  const hosts = `${shown.join(", ")}${all.length > shown.length ? ` and ${all.length - shown.length} more` : ""}`;
  const what = plan.drain
    ? "Being drained or scheduled for maintenance"
    : "Scheduled for maintenance (DRAINING)";
  return [c.dim(`${what}, nothing new placed there: ${hosts}`), ""];
}

function someApps(apps: readonly string[]): string {
  const shown = apps.slice(0, OTHER_APPS_SHOWN);
  const more =
    apps.length > shown.length ? ` and ${apps.length - shown.length} more (--json lists them all)` : "";
  return `${shown.join(", ")}${more}`;
}

/** Names a few agents; the JSON lists them all. */
function renderScaleIn(advice: ScaleInAdvice): string {
  const n = advice.drain.length;
  const shown = advice.drain.slice(0, 3).map((d) => d.hostname);
  const more = n > shown.length ? ` and ${n - shown.length} more` : "";
  const moved = `${advice.tasksMoved} task${advice.tasksMoved === 1 ? "" : "s"}`;
  const line = `Scale-in: ${n} agent${n === 1 ? "" : "s"} could be drained after this plan (${shown.join(", ")}${more}), moving ${moved}.`;
  const unknown = advice.unknownConstraints;
  if (unknown.length === 0) return line;
  const apps =
    unknown.length > 3
      ? `${unknown.slice(0, 3).join(", ")} and ${unknown.length - 3} more`
      : unknown.join(", ");
  return `${line} The instances of ${apps} stay where they are: no spec of theirs is known here.`;
}

function renderScaleOut(advice: ScaleOutAdvice | null, recovering: number): string[] {
  if (!advice) return [];
  // The cluster looks smaller than it is: neither the request nor the agents are at fault, the master is.
  if (recovering > 0 && (advice.add.length > 0 || advice.impossible.length > 0))
    return [
      `  ${recovering} agent(s) have not re-registered since the master failed over: the master offers none of them and shows none of their tasks until they do (or it gives up on them after its --agent_reregister_timeout); plan again then.`,
    ];
  const lines: string[] = [];
  if (advice.add.length > 0) {
    const adds = advice.add.map((a) => `${a.count} × ${describeShape(a.shape)}`).join(" + ");
    lines.push(`  To place everything: add ${adds}.`);
  }
  if (advice.impossible.length > 0) {
    const byApp = new Map<string, number[]>();
    for (const r of advice.impossible) byApp.set(r.app, [...(byApp.get(r.app) ?? []), r.instance]);
    const list = [...byApp].map(([app, instances]) => formatInstances(app, instances)).join(", ");
    lines.push(`  No agent shape on offer can ever hold ${list}; change the request or its constraints.`);
  }
  return lines;
}

/** The shape's name, and its size when the name does not already say it: `m5.2xlarge (8cpu,30Gi)`. */
export function describeShape(shape: AgentShape): string {
  if (/\d\s*cpu/i.test(shape.name)) return shape.name;
  const gpus = shape.total.gpus > 0 ? `, ${shape.total.gpus} gpus` : "";
  return `${shape.name} (${formatCpus(shape.total.cpus)}, ${formatMem(shape.total.mem)}${gpus})`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
