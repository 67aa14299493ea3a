/** Rules that span several fields of one app: references, sums and settings that must agree. */

import { didYouMean } from "../cli/suggest.js";
import { type AppFields, healthType } from "./fields.js";
import { type At, partialRead } from "./kit.js";
import { MAX_INSTANCES } from "./limits.js";
import { entryOf } from "./node.js";
import { checkRollout } from "./rollout-checks.js";
import { resolveAmount } from "./types.js";
import { formatAmount } from "./units.js";

const PORT_REFERENCE = /\$\{PORT_([A-Za-z0-9_]*)\}/g;

/** `${PORT_<NAME>}` spelling of a port name: uppercase, '-' as '_'. */
export function portVariable(portName: string): string {
  return `PORT_${portName.toUpperCase().replaceAll("-", "_")}`;
}

export function instanceCount(app: {
  instances?: number | undefined;
  regions?: Readonly<Record<string, { instances: number }>> | undefined;
}): number {
  if (app.instances !== undefined) return app.instances;
  if (app.regions) return Object.values(app.regions).reduce((a, r) => a + r.instances, 0);
  return 1;
}

/**
 * Runs on whatever fields read cleanly: a rule whose inputs were invalid (or, for optional inputs, given but
 * invalid) is skipped, since that problem is already reported.
 */
export function checkApp(app: Partial<AppFields>, at: At): void {
  checkRunnable(app, at);
  checkRegions(app, at);
  checkRollout(app, at);
  checkPorts(app, at);
  checkUpdateProgress(app, at);
}

const given = (at: At, key: string) => entryOf(at.node, key) !== undefined;

const RUNNABLE = ["image", "command", "shell"];

function checkRunnable(_app: Partial<AppFields>, at: At): void {
  if (RUNNABLE.some((key) => given(at, key))) return;
  // A misspelt `imgae:` is already reported as an unknown key with its did-you-mean; saying more would be noise.
  const misspelt = at.node.entries.some(
    (e) => !RUNNABLE.includes(e.key) && didYouMean(e.key, RUNNABLE) !== undefined,
  );
  if (!misspelt) {
    at.report(
      [],
      "the app needs an `image`, or a `command` or `shell` to run",
      "add image: registry.example.com/team/app:1.0, or command: [...] for a plain Mesos command task",
    );
  }
}

function checkRegions(app: Partial<AppFields>, at: At): void {
  if (!app.regions || (app.instances === undefined && given(at, "instances"))) return;
  const counts = Object.entries(app.regions).map(([region, r]) => [region, r.instances] as const);
  if (counts.length === 0) {
    at.report(
      ["regions"],
      "regions is empty",
      "name at least one region with its instance count, or remove `regions`",
    );
    return;
  }
  const sum = counts.reduce((total, [, n]) => total + n, 0);
  if (sum > MAX_INSTANCES) {
    at.report(
      ["regions"],
      `regions add up to ${sum} instances; an app runs at most ${MAX_INSTANCES}`,
      "split the app, or lower the region counts",
    );
    return;
  }
  if (app.instances !== undefined && sum !== app.instances) {
    const terms = counts.map(([region, n]) => `${region} ${n}`).join(" + ");
    at.report(
      ["regions"],
      `regions add up to ${sum} instance${sum === 1 ? "" : "s"} (${terms}) but instances is ${app.instances}`,
      `set instances: ${sum}, or change the region counts to add up to ${app.instances}`,
    );
  }
}

function checkPorts(app: Partial<AppFields>, at: At): void {
  if (!app.ports) return;
  const seen = new Map<string, number>();
  app.ports.forEach((port, i) => {
    const first = seen.get(port.name);
    if (first === undefined) seen.set(port.name, i);
    else
      at.report(
        ["ports", i],
        `port \`${port.name}\` is declared twice (ports[${first}] and ports[${i}])`,
        "port names must be unique",
      );
  });
  const names = [...seen.keys()];
  const declareHint = (name: string) => {
    const near = didYouMean(name, names);
    if (near) return `did you mean \`${near}\`?`;
    return names.length === 0
      ? `declare it: ports: [{ name: ${name} }]`
      : `declared ports: ${names.join(", ")}`;
  };

  // A health check with an invalid timing still names its port and command: those are checked all the same.
  const probe = app.health ?? partialRead(healthType, entryOf(at.node, "health")?.value);
  for (const kind of ["http", "tcp"] as const) {
    const ref = probe?.[kind]?.port;
    if (ref !== undefined && !seen.has(ref)) {
      at.report(
        ["health", kind, "port"],
        `health check port \`${ref}\` is not declared under ports`,
        declareHint(ref),
      );
    }
  }

  const variables = new Map(names.map((n) => [portVariable(n), n]));
  const checkText = (value: string, rel: ReadonlyArray<string | number>) => {
    for (const match of value.matchAll(PORT_REFERENCE)) {
      const variable = `PORT_${match[1] ?? ""}`;
      if (variables.has(variable)) continue;
      const near = didYouMean(variable, [...variables.keys()]);
      at.report(
        rel,
        `\${${variable}} names no declared port`,
        near
          ? `did you mean \${${near}}?`
          : declareHint(variable.slice(5).toLowerCase().replaceAll("_", "-")),
      );
    }
  };
  for (const [i, arg] of (app.command ?? []).entries()) checkText(arg, ["command", i]);
  if (app.shell !== undefined) checkText(app.shell, ["shell"]);
  for (const [key, value] of Object.entries(app.env ?? {})) {
    if (value.kind === "plain") checkText(value.value, ["env", key]);
  }
  for (const [i, arg] of (probe?.command ?? []).entries()) checkText(arg, ["health", "command", i]);
  if (probe?.shell !== undefined) checkText(probe.shell, ["health", "shell"]);
}

function checkUpdateProgress(app: Partial<AppFields>, at: At): void {
  if (!app.update || (app.instances === undefined && given(at, "instances"))) return;
  if (app.regions === undefined && given(at, "regions")) return;
  const instances = instanceCount(app);
  if (instances === 0) return;
  const { max_surge: surge, max_unavailable: unavailable } = app.update;
  if (resolveAmount(surge, instances, "up") > 0 || resolveAmount(unavailable, instances, "down") > 0) return;
  const rounding =
    surge.kind === "percent" || unavailable.kind === "percent"
      ? ` with ${instances} instance${instances === 1 ? "" : "s"}`
      : "";
  at.report(
    ["update", "max_surge"],
    `max_surge ${formatAmount(surge)} and max_unavailable ${formatAmount(unavailable)}${rounding} leave an update no room to replace any instance`,
    "allow max_surge (e.g. 1 or 25%) or max_unavailable above 0",
  );
}
