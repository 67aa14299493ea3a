import { isObject, type JsonObject } from "../json.js";

/**
 * Mesos' JSON writer prints every unset field that has a declared `[default = ...]` (mesos.proto). These helpers add
 * those defaults to the parts of a TaskInfo the master echoes back in Task objects.
 */

function withDefaults(value: unknown, defaults: JsonObject): JsonObject | undefined {
  if (!isObject(value)) return undefined;
  return { ...defaults, ...value };
}

function commandInfo(value: unknown): JsonObject | undefined {
  const cmd = withDefaults(value, { shell: true });
  if (!cmd) return undefined;
  if (Array.isArray(cmd.uris)) cmd.uris = cmd.uris.map((u) => withDefaults(u, { extract: true }) ?? u);
  if (isObject(cmd.environment) && Array.isArray(cmd.environment.variables)) {
    cmd.environment = {
      ...cmd.environment,
      variables: cmd.environment.variables.map((v) => withDefaults(v, { type: "VALUE" }) ?? v),
    };
  }
  return cmd;
}

export function healthCheckWithDefaults(value: unknown): JsonObject | undefined {
  const hc = withDefaults(value, {
    delay_seconds: 15,
    interval_seconds: 10,
    timeout_seconds: 20,
    consecutive_failures: 3,
    grace_period_seconds: 10,
  });
  if (!hc) return undefined;
  if (isObject(hc.http)) hc.http = withDefaults(hc.http, { protocol: "IPv4" });
  if (isObject(hc.tcp)) hc.tcp = withDefaults(hc.tcp, { protocol: "IPv4" });
  if (isObject(hc.command)) hc.command = commandInfo(hc.command);
  return hc;
}

export function containerWithDefaults(value: unknown): JsonObject | undefined {
  if (!isObject(value)) return undefined;
  const c: JsonObject = { ...value };
  if (isObject(c.docker)) c.docker = withDefaults(c.docker, { network: "HOST", privileged: false });
  if (isObject(c.mesos) && isObject(c.mesos.image)) {
    c.mesos = { ...c.mesos, image: withDefaults(c.mesos.image, { cached: true }) };
  }
  if (Array.isArray(c.network_infos)) {
    c.network_infos = c.network_infos.map((n) => {
      if (!isObject(n) || !Array.isArray(n.ip_addresses)) return n;
      return { ...n, ip_addresses: n.ip_addresses.map((a) => withDefaults(a, { protocol: "IPv4" }) ?? a) };
    });
  }
  return c;
}

/** FrameworkInfo with failover_timeout and checkpoint always present. */
export function frameworkInfoWithDefaults(info: JsonObject): JsonObject {
  return { ...info, failover_timeout: info.failover_timeout ?? 0, checkpoint: info.checkpoint ?? false };
}
