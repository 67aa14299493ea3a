/** Turns a validated app into the normalised AppSpec the rest of titan works with. */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { instanceCount } from "./checks.js";
import type { AppFields } from "./fields.js";
import type { AppSpec, DisruptionSpec, HealthProbe, HealthSpec, RegionOverride, SourceRef } from "./types.js";
import { parseHours } from "./windows.js";

/** Turns a fetch entry's uri into an absolute URL; a relative path is taken from `baseDir`. */
export function fetchUri(uri: string, baseDir: string | undefined): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return uri;
  if (isAbsolute(uri)) return pathToFileURL(uri).href;
  return baseDir === undefined ? undefined : pathToFileURL(resolve(baseDir, uri)).href;
}

export function toAppSpec(app: AppFields, source: SourceRef, baseDir?: string): AppSpec {
  return {
    name: app.name,
    ...(app.image === undefined ? {} : { image: app.image }),
    ...(app.platform === undefined ? {} : { platform: app.platform }),
    ...(app.command === undefined ? {} : { command: app.command }),
    ...(app.shell === undefined ? {} : { shell: app.shell }),
    env: app.env,
    fetch: app.fetch.map((f) => ({
      uri: fetchUri(f.uri, baseDir) ?? f.uri,
      executable: f.executable,
      extract: f.extract,
      ...(f.output_file === undefined ? {} : { outputFile: f.output_file }),
    })),
    resources: app.resources,
    ports: app.ports,
    instances: instanceCount(app),
    ...regionFields(app),
    constraints: app.constraints,
    placement: app.placement,
    ...(app.health === undefined ? {} : { health: toHealth(app.health) }),
    update: {
      maxSurge: app.update.max_surge,
      maxUnavailable: app.update.max_unavailable,
      minHealthyTimeMs: app.update.min_healthy_time,
      healthyDeadlineMs: app.update.healthy_deadline,
      progressDeadlineMs: app.update.progress_deadline,
      autoRollback: app.update.auto_rollback,
    },
    restart: {
      backoffMs: app.restart.backoff,
      factor: app.restart.factor,
      maxDelayMs: app.restart.max_delay,
    },
    ...(app.disruption === undefined ? {} : { disruption: toDisruption(app.disruption) }),
    killGraceMs: app.kill_grace,
    ...(app.user === undefined ? {} : { user: app.user }),
    labels: app.labels,
    source,
  };
}

/** Counts per region, the overrides of the regions that give any, and the rollout policy with its defaults. */
function regionFields(app: AppFields): Pick<AppSpec, "regions" | "regionOverrides" | "rollout"> {
  if (app.regions === undefined) return {};
  const entries = Object.entries(app.regions);
  const overrides: Record<string, RegionOverride> = {};
  for (const [region, r] of entries) {
    const override: RegionOverride = {
      ...(r.env === undefined ? {} : { env: r.env }),
      ...(r.resources === undefined ? {} : { resources: r.resources }),
      ...(r.constraints === undefined ? {} : { constraints: r.constraints }),
    };
    if (Object.keys(override).length > 0) overrides[region] = override;
  }
  return {
    regions: Object.fromEntries(entries.map(([region, r]) => [region, r.instances])),
    ...(Object.keys(overrides).length === 0 ? {} : { regionOverrides: overrides }),
    ...(app.rollout === undefined
      ? {}
      : {
          rollout: {
            waves: app.rollout.waves ?? entries.map(([region]) => [region]),
            soakMs: app.rollout.soak,
            onFailure: app.rollout.on_failure,
          },
        }),
  };
}

function toDisruption(d: NonNullable<AppFields["disruption"]>): DisruptionSpec {
  return {
    ...(d.windows === undefined
      ? {}
      : {
          windows: d.windows.map((w) => {
            const hours = parseHours(w.hours) ?? { startMinute: 0, endMinute: 24 * 60 };
            return { days: [...new Set(w.days)], ...hours, timeZone: w.time_zone };
          }),
        }),
    ...(d.max_per_hour === undefined ? {} : { maxPerHour: d.max_per_hour }),
  };
}

function toHealth(h: NonNullable<AppFields["health"]>): HealthSpec {
  let probe: HealthProbe;
  if (h.http) probe = { kind: "http", port: h.http.port, path: h.http.path, scheme: h.http.scheme };
  else if (h.tcp) probe = { kind: "tcp", port: h.tcp.port };
  else if (h.command) probe = { kind: "command", argv: h.command };
  else probe = { kind: "command", shell: h.shell ?? "" };
  return {
    probe,
    intervalMs: h.interval,
    timeoutMs: h.timeout,
    graceMs: h.grace,
    delayMs: h.delay,
    failures: h.failures,
  };
}
