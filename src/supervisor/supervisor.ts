import type { StateStore, SupervisorReport } from "../state/types.js";
import { AppSupervisor, type AppSupervisorDeps } from "./app-supervisor.js";
import type { Health } from "./http.js";
import type { SupervisorIdentity } from "./leadership.js";
import { type AppStats, renderMetrics } from "./metrics.js";

export interface SupervisorOptions {
  identity: SupervisorIdentity;
  /** Unique id of this supervisor process (its store report's name). */
  id: string;
  /** The apps to supervise, or "all": every app in the store, also ones recorded later. */
  scope: readonly string[] | "all";
  store: StateStore;
  appDeps: AppSupervisorDeps;
  now: () => number;
  /** How often the store report is written (and, with "all", the store looked at for new apps). */
  reportIntervalMs: number;
}

/**
 * `titan supervise`: one AppSupervisor per app, a report in the state store refreshed while it runs (so `titan
 * ps` can say who covers an app), and the numbers behind /healthz and /metrics.
 */
export class Supervisor {
  private readonly apps = new Map<
    string,
    { supervisor: AppSupervisor; done: Promise<void>; drop: AbortController }
  >();
  /** Supervisors of apps the store no longer has, still giving their lead up. */
  private readonly dropping = new Set<Promise<void>>();
  private lastReportAt: number | undefined;
  private reportError: string | undefined;
  /** Where /healthz and /metrics answer, for the report. */
  listen: string | undefined;
  /** The report being written: reports are written one after another, so an older one never lands last. */
  private reporting: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: SupervisorOptions) {}

  stats(): AppStats[] {
    return [...this.apps.values()]
      .map((a) => a.supervisor.stats())
      .sort((a, b) => a.app.localeCompare(b.app));
  }

  metrics(): string {
    return renderMetrics(this.stats(), this.options.now());
  }

  /** Healthy while the store report could be written recently (the store answers, the loop runs). */
  health(): Health {
    const now = this.options.now();
    const stale =
      this.lastReportAt === undefined || now - this.lastReportAt > 3 * this.options.reportIntervalMs;
    const apps = Object.fromEntries(this.stats().map((s) => [s.app, s.mode]));
    return {
      ok: !stale,
      detail: {
        apps,
        ...(this.lastReportAt === undefined
          ? {}
          : { reported_at: new Date(this.lastReportAt).toISOString() }),
        ...(this.reportError === undefined ? {} : { error: this.reportError }),
      },
    };
  }

  /** Supervises until `signal` aborts, then gives every lead up and removes its report. */
  async run(signal: AbortSignal): Promise<void> {
    const { appDeps } = this.options;
    try {
      while (!signal.aborted) {
        await this.refreshApps(signal);
        await this.report();
        await appDeps.sleep(this.options.reportIntervalMs, signal);
      }
    } finally {
      await Promise.all([...[...this.apps.values()].map((a) => a.done), ...this.dropping]);
      this.stopped = true;
      await this.reporting;
      await this.options.store.removeSupervisorReport(this.options.id).catch(() => undefined);
    }
  }

  private async refreshApps(signal: AbortSignal): Promise<void> {
    const { scope, store } = this.options;
    let names: readonly string[];
    try {
      names = scope === "all" ? await store.apps() : scope;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      this.options.appDeps.log.error(undefined, `could not list the apps: ${why}`);
      return;
    }
    if (scope === "all") this.dropGone(new Set(names));
    for (const app of names) {
      if (this.apps.has(app)) continue;
      // Who leads is what `titan status` reads first: a change of lead is reported at once, not at the next turn.
      const supervisor = new AppSupervisor(app, {
        ...this.options.appDeps,
        leadChanged: () => void this.report(),
      });
      this.options.appDeps.log.info(app, "supervising");
      const drop = new AbortController();
      const done = supervisor.run(AbortSignal.any([signal, drop.signal])).catch((error: unknown) => {
        this.options.appDeps.log.error(app, `stopped supervising: ${String(error)}`);
      });
      this.apps.set(app, { supervisor, done, drop });
    }
  }

  /**
   * With --all: an app the store no longer has (`titan stop --purge`) is no longer supervised. Its supervisor
   * gives its lead up or leaves the queue (removing its contender node) and leaves /healthz, /metrics and the
   * report. Apps named on the command line stay: they were asked for, and a deploy may record them again.
   */
  private dropGone(names: ReadonlySet<string>): void {
    for (const [app, entry] of this.apps) {
      if (names.has(app)) continue;
      this.apps.delete(app);
      this.options.appDeps.log.info(app, "the store no longer has the app: stopped supervising it");
      entry.drop.abort();
      const dropping = entry.done.finally(() => this.dropping.delete(dropping));
      this.dropping.add(dropping);
    }
  }

  private report(): Promise<void> {
    this.reporting = this.reporting.then(() => (this.stopped ? undefined : this.writeReport()));
    return this.reporting;
  }

  private async writeReport(): Promise<void> {
    const now = this.options.now();
    const { identity } = this.options;
    const report: SupervisorReport = {
      id: this.options.id,
      ...identity,
      scope: this.options.scope === "all" ? "all" : [...this.options.scope],
      apps: this.stats().map((s) => ({
        app: s.app,
        mode: s.mode,
        leader: s.leader,
        ...(s.lastReconciledAt === undefined ? {} : { lastReconciledAt: s.lastReconciledAt }),
        ...(s.brakeReason === undefined ? {} : { brake: s.brakeReason }),
        ...(s.leader && s.backoff.length > 0 ? { backoff: [...s.backoff] } : {}),
      })),
      ...(this.listen === undefined ? {} : { listen: this.listen }),
      updatedAt: now,
      expiresAt: now + 3 * this.options.reportIntervalMs,
    };
    try {
      await this.options.store.saveSupervisorReport(report);
      this.lastReportAt = now;
      this.reportError = undefined;
    } catch (error) {
      this.reportError = error instanceof Error ? error.message : String(error);
      this.options.appDeps.log.error(undefined, `could not write the supervisor report: ${this.reportError}`);
    }
  }
}
