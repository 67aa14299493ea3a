import type { InstanceBackoff } from "../state/types.js";

/** What the supervisor knows of one app, as `/metrics` and the store report show it. */
export interface AppStats {
  app: string;
  /** What the supervisor does for the app now. */
  mode: SupervisionMode;
  leader: boolean;
  desired: number;
  /** Tasks of the app's framework by Mesos state (TASK_RUNNING, TASK_STAGING, …), as last reported. */
  tasksByState: Readonly<Record<string, number>>;
  relaunches: number;
  offersDeclined: number;
  reconcileCalls: number;
  /** Tasks asked about in reconciliation and not answered yet. */
  unanswered: number;
  /** Instances to launch that no offer has held yet. */
  awaitingOffers: number;
  /** Instances waiting out their restart backoff (a crash loop) before their next launch. */
  inBackoff: number;
  /** Those instances, with when each is launched again (for the store report). */
  backoff: readonly InstanceBackoff[];
  lastReconciledAt?: number;
  brake: boolean;
  brakeReason?: string;
}

/**
 * standby: another supervisor leads the app; aside: a deploy holds the app's lock; holding: subscribed, keeping
 * the framework alive without acting (the brake holds, or the newest release is an unfinished deploy);
 * supervising: keeping the app at its desired state; idle: nothing to supervise (no deployed release).
 */
export type SupervisionMode = "starting" | "standby" | "aside" | "holding" | "supervising" | "idle";

export const MODES: readonly SupervisionMode[] = [
  "starting",
  "standby",
  "aside",
  "holding",
  "supervising",
  "idle",
];

/** Label values are quoted with backslash, quote and newline escaped, as the exposition format requires. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

interface Family {
  name: string;
  help: string;
  type: "gauge" | "counter";
  samples: Array<{ labels: Record<string, string>; value: number }>;
}

function families(apps: readonly AppStats[], now: number): Family[] {
  const per = (
    name: string,
    help: string,
    type: Family["type"],
    value: (s: AppStats) => number | undefined,
  ): Family => ({
    name,
    help,
    type,
    samples: apps.flatMap((s) => {
      const v = value(s);
      return v === undefined ? [] : [{ labels: { app: s.app }, value: v }];
    }),
  });
  return [
    {
      name: "titan_supervisor_tasks",
      help: "Tasks of the app's framework by Mesos task state.",
      type: "gauge",
      samples: apps.flatMap((s) =>
        Object.entries(s.tasksByState).map(([state, value]) => ({ labels: { app: s.app, state }, value })),
      ),
    },
    per(
      "titan_supervisor_desired_instances",
      "Instances the app's newest deployed release wants.",
      "gauge",
      (s) => s.desired,
    ),
    per(
      "titan_supervisor_relaunches_total",
      "Instances launched again after their task ended.",
      "counter",
      (s) => s.relaunches,
    ),
    per(
      "titan_supervisor_offers_declined_total",
      "Offers declined by the app's framework.",
      "counter",
      (s) => s.offersDeclined,
    ),
    per(
      "titan_supervisor_reconcile_calls_total",
      "RECONCILE calls sent (explicit and implicit).",
      "counter",
      (s) => s.reconcileCalls,
    ),
    per(
      "titan_supervisor_unanswered_tasks",
      "Tasks asked about in reconciliation and not answered yet.",
      "gauge",
      (s) => s.unanswered,
    ),
    per(
      "titan_supervisor_instances_awaiting_offers",
      "Instances the supervisor would launch now that no offer has held yet.",
      "gauge",
      (s) => s.awaitingOffers,
    ),
    per(
      "titan_supervisor_instances_in_backoff",
      "Instances whose task ended on its own, waiting out their restart backoff before the next launch.",
      "gauge",
      (s) => s.inBackoff,
    ),
    per(
      "titan_supervisor_reconciliation_age_seconds",
      "Seconds since the last completed reconciliation.",
      "gauge",
      (s) => (s.lastReconciledAt === undefined ? undefined : Math.max(0, (now - s.lastReconciledAt) / 1000)),
    ),
    per("titan_supervisor_leader", "1 while this supervisor leads the app.", "gauge", (s) =>
      s.leader ? 1 : 0,
    ),
    per("titan_supervisor_brake", "1 while the disaster brake holds the app's relaunches.", "gauge", (s) =>
      s.brake ? 1 : 0,
    ),
    {
      name: "titan_supervisor_mode",
      help: "1 for what the supervisor does for the app now (standby, aside, holding, supervising, idle).",
      type: "gauge",
      samples: apps.flatMap((s) =>
        MODES.map((mode) => ({ labels: { app: s.app, mode }, value: s.mode === mode ? 1 : 0 })),
      ),
    },
  ];
}

/** The Prometheus text exposition format (version 0.0.4). */
export function renderMetrics(apps: readonly AppStats[], now: number): string {
  const lines: string[] = [];
  lines.push(
    "# HELP titan_supervisor_apps Apps this supervisor covers.",
    "# TYPE titan_supervisor_apps gauge",
  );
  lines.push(`titan_supervisor_apps ${apps.length}`);
  for (const family of families(apps, now)) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels)
        .map(([k, v]) => `${k}="${label(v)}"`)
        .join(",");
      lines.push(`${family.name}{${labels}} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function formatValue(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(3);
}
